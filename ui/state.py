"""Session-state keys, in one place so pages and tests agree on them."""

from __future__ import annotations

from typing import Final

# Across the app (sidebar of the entry file)
LANG: Final = "lang"
BASEMAP: Final = "basemap"
LARGE_TEXT: Final = "large_text"
URL_APPLIED: Final = "url_applied"  # the link's language and text size were read once

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
FIND_TAP_OUTSIDE: Final = "find_tap_outside"
FIND_URL_APPLIED: Final = "find_url_applied"  # the link's place, need and mode were read once
HOME_KIND: Final = "home_kind"  # what kind of place the home point is (gazetteer kind, click …)

# 覆盖分析 · Coverage
COV_TYPES: Final = "cov_types"
COV_TARGET: Final = "cov_target"
COV_MODE: Final = "cov_mode"
COV_BUDGET: Final = "cov_budget"
COV_DISTRICT: Final = "cov_district"
COV_LAYERS: Final = "cov_layers"

# 数据管理 · Data (behind the login)
DATA_TAB: Final = "data_tab"  # the data page's open tab (its label)
DATA_USER: Final = "data_user"  # name of the logged-in data staff account, or absent
DATA_LOGIN: Final = "data_login"  # ui.upload_guard.StaffLogin: what the upload route checks, server-side
DATA_LOGIN_FORM: Final = "data_login_form"
DATA_LOGIN_NAME: Final = "data_login_name"
DATA_LOGIN_PASSWORD: Final = "data_login_password"  # key prefix, suffixed by the attempt number
DATA_LOGIN_ATTEMPT: Final = "data_login_attempt"
DATA_LOGIN_FAILURE: Final = "data_login_failure"  # (message_zh, message_en, busy) of the last try
DATA_LOGOUT: Final = "data_logout"
DATA_UPLOAD: Final = "data_upload"  # key prefix of the file uploader (suffixed by DATA_UPLOAD_SEQ)
DATA_UPLOAD_SEQ: Final = "data_upload_seq"  # bumped after a publish to clear the uploader
DATA_CRS: Final = "data_crs"
DATA_MODE: Final = "data_mode"
DATA_PLAN: Final = "data_plan"  # the import preview and the version it was computed against
DATA_REPREVIEW: Final = "data_repreview"
DATA_PUBLISH: Final = "data_publish"
DATA_FLASH: Final = "data_flash"  # one-shot outcome of the last publish/restore
DATA_VIEW_VERSION: Final = "data_view_version"  # key prefix, suffixed by the newest version
DATA_MERGES: Final = "data_merges"  # file id -> published id, rows merged into a published facility
DATA_NOT_DUPLICATE: Final = "data_not_duplicate"  # pairs of ids marked "not a duplicate"
DATA_PREVIEW_FILTER: Final = "data_preview_filter"
DATA_CHANGE_FIELDS: Final = "data_change_fields"
DATA_REPORT_SEVERITY: Final = "data_report_severity"
DATA_REPORT_ROW: Final = "data_report_row"
DATA_QUALITY_MONTHS: Final = "data_quality_months"
DATA_QUALITY_PROBLEMS: Final = "data_quality_problems"
DATA_QUALITY_DISTRICT: Final = "data_quality_district"
DATA_RESTORE: Final = "data_restore"
DATA_RESTORE_PENDING: Final = "data_restore_pending"  # version awaiting confirmation, or None
DATA_RESTORE_YES: Final = "data_restore_yes"
DATA_RESTORE_NO: Final = "data_restore_no"

# 数据管理 · Data: population (demand) and township boundaries
DEMAND_UPLOAD: Final = "demand_upload"  # key prefix of the uploader (suffixed by DEMAND_UPLOAD_SEQ)
DEMAND_UPLOAD_SEQ: Final = "demand_upload_seq"
DEMAND_WEIGHTS: Final = "demand_weights"
DEMAND_CRS: Final = "demand_crs"
DEMAND_EPSG: Final = "demand_epsg"
DEMAND_RESOLUTION: Final = "demand_resolution"
DEMAND_MODE: Final = "demand_mode"
DEMAND_COUNT: Final = "demand_count_column"
DEMAND_AGE60: Final = "demand_age60_column"
DEMAND_AGE03: Final = "demand_age0_3_column"
DEMAND_HOUSEHOLD: Final = "demand_household_size"
DEMAND_STAGED: Final = "demand_staged"  # the checked file and the demand version it was previewed on
DEMAND_PUBLISH: Final = "demand_publish"
DEMAND_RESTORE_PICK: Final = "demand_restore_pick"
DEMAND_RESTORE: Final = "demand_restore"
BOUNDARY_UPLOAD: Final = "boundary_upload"
BOUNDARY_UPLOAD_SEQ: Final = "boundary_upload_seq"
BOUNDARY_NAME: Final = "boundary_name_column"
BOUNDARY_CODE: Final = "boundary_code_column"
BOUNDARY_CRS: Final = "boundary_crs"
BOUNDARY_STAGED: Final = "boundary_staged"
BOUNDARY_PUBLISH: Final = "boundary_publish"
BOUNDARY_RESTORE_PICK: Final = "boundary_restore_pick"
BOUNDARY_RESTORE: Final = "boundary_restore"
