"""Session-state keys, in one place so pages and tests agree on them."""

from __future__ import annotations

from typing import Final

# Across the app (sidebar of the entry file)
LANG: Final = "lang"
BASEMAP: Final = "basemap"
LARGE_TEXT: Final = "large_text"

# 设施地图 · Facility map
MAP_CATEGORIES: Final = "map_categories"
MAP_TYPES: Final = "map_types"

# 找服务 · Find services
HOME: Final = "home_lonlat"  # (lon, lat) WGS84, or absent
HOME_LABEL: Final = "home_label"
FIND_HOW: Final = "find_how"  # how the location is given: map | place | coords
FIND_QUERY: Final = "find_query"
FIND_PICK: Final = "find_pick"
FIND_COORDS: Final = "find_coords"
FIND_CRS: Final = "find_crs"
FIND_NEED: Final = "find_need"
FIND_MODE: Final = "find_mode"
FIND_MAP: Final = "find_map"
FIND_LAST_CLICK: Final = "find_last_click"

# 覆盖分析 · Coverage
COV_TYPES: Final = "cov_types"
COV_TARGET: Final = "cov_target"
COV_MODE: Final = "cov_mode"
COV_BUDGET: Final = "cov_budget"
COV_DISTRICT: Final = "cov_district"
COV_LAYERS: Final = "cov_layers"

# 数据管理 · Data (behind the login)
DATA_USER: Final = "data_user"  # name of the logged-in data staff account, or absent
DATA_LOGIN: Final = "data_login"  # ui.upload_guard.StaffLogin: what the upload route checks, server-side
DATA_LOGIN_FORM: Final = "data_login_form"
DATA_LOGOUT: Final = "data_logout"
DATA_UPLOAD: Final = "data_upload"  # key prefix of the file uploader (suffixed by DATA_UPLOAD_SEQ)
DATA_UPLOAD_SEQ: Final = "data_upload_seq"  # bumped after a publish to clear the uploader
DATA_CRS: Final = "data_crs"
DATA_MODE: Final = "data_mode"
DATA_PLAN: Final = "data_plan"  # the import preview and the version it was computed against
DATA_REPREVIEW: Final = "data_repreview"
DATA_PUBLISH: Final = "data_publish"
DATA_FLASH: Final = "data_flash"  # one-shot outcome of the last publish/restore
DATA_VIEW_VERSION: Final = "data_view_version"
DATA_RESTORE: Final = "data_restore"
DATA_RESTORE_PENDING: Final = "data_restore_pending"  # version awaiting confirmation, or None
DATA_RESTORE_YES: Final = "data_restore_yes"
DATA_RESTORE_NO: Final = "data_restore_no"
