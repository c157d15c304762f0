"""Every user-facing string of the app, in Chinese (default) and English, and ``t()`` to look them up.

Keys are used literally as ``t("key")`` in ``app_pages/`` and ``ui/`` so a test can grep them and check
that each exists here in both languages. Facility type and category labels come from ``geo.schema``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import streamlit as st

from geo.schema import CATEGORIES, FACILITY_TYPES
from ui import state

LANGUAGES: Final[dict[str, str]] = {"zh": "中文", "en": "English"}
DEFAULT_LANG: Final[str] = "zh"

CATALOG: Final[dict[str, dict[str, str]]] = {
    # --- app and navigation
    "app_title": {"zh": "暖城一刻钟服务圈", "en": "CareCircle Ordos"},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "choose_one": {"zh": "请选择", "en": "Choose an option"},
    "choose_many": {"zh": "请选择(可多选)", "en": "Choose options"},
    "nav_map": {"zh": "设施地图", "en": "Facility map"},
    "nav_find": {"zh": "找服务", "en": "Find services"},
    "nav_coverage": {"zh": "覆盖分析", "en": "Coverage"},
    "nav_data": {"zh": "数据管理", "en": "Data"},
    "nav_plan": {"zh": "选址与情景", "en": "Sites & scenarios"},
    # --- sites and scenarios page (选址与情景 · Sites & scenarios)
    "plan_title": {"zh": "选址与情景", "en": "Sites & scenarios"},
    "plan_intro": {
        "zh": "新站点建在哪里能让最多居民在设定时间内到达?在地图上新增、移动或关闭设施,比较不同情景,并生成规划报告。"
        "情景只用于分析,不会改动已发布的数据。",
        "en": "Where should the next stations go to reach the most people in time? Add, move or close "
        "facilities on the map, compare scenarios and make a planning report. Scenarios never change "
        "the published data.",
    },
    "plan_type": {"zh": "设施类型", "en": "Facility type"},
    "plan_section": {"zh": "内容", "en": "Section"},
    "plan_tab_suggest": {"zh": "选址建议", "en": "Suggested sites"},
    "plan_tab_scenarios": {"zh": "情景分析", "en": "Scenarios"},
    "plan_tab_report": {"zh": "规划报告", "en": "Report"},
    "plan_n": {"zh": "新增站点数", "en": "New sites"},
    "plan_solver": {"zh": "求解方法", "en": "Solver"},
    "plan_solver_greedy": {"zh": "贪心(快速)", "en": "Greedy (fast)"},
    "plan_solver_exact": {"zh": "精确(整数规划)", "en": "Exact (integer program)"},
    "plan_time_limit": {"zh": "精确求解时限(秒)", "en": "Exact solver time limit (s)"},
    "plan_separation": {"zh": "与现有同类设施最小间距(米)", "en": "Minimum distance to existing ones (m)"},
    "plan_run": {"zh": "计算选址建议", "en": "Suggest sites"},
    "plan_running": {"zh": "正在计算……", "en": "Computing…"},
    "plan_hint_run": {
        "zh": "选择参数后点击“计算选址建议”。候选点为有人口的网格中心。",
        "en": "Choose the settings and click “Suggest sites”. Candidates are the centres of populated cells.",
    },
    "plan_result_optimal": {"zh": "最优解", "en": "optimal"},
    "plan_result_time_limit": {"zh": "达到时限", "en": "time limit reached"},
    "plan_result_complete": {"zh": "完成", "en": "complete"},
    "plan_result_no_gain_left": {"zh": "再无可增加的覆盖", "en": "nothing left to gain"},
    "plan_status": {
        "zh": "方法 {method},状态 {status},最优性差距 {gap},用时 {seconds} 秒,候选点 {candidates} 个;"
        "现有设施已覆盖 {baseline}。",
        "en": "Method {method}, status {status}, optimality gap {gap}, {seconds} s, {candidates} candidates; "
        "existing facilities already cover {baseline}.",
    },
    "plan_download_geojson": {"zh": "下载 GeoJSON", "en": "Download GeoJSON"},
    "plan_col_rank": {"zh": "序号", "en": "Rank"},
    "plan_col_district": {"zh": "旗区", "en": "District"},
    "plan_col_township": {"zh": "乡镇街道", "en": "Township"},
    "plan_col_lon": {"zh": "经度", "en": "Longitude"},
    "plan_col_lat": {"zh": "纬度", "en": "Latitude"},
    "plan_col_gain": {"zh": "新增覆盖人数", "en": "Newly covered"},
    "plan_col_cumulative_covered": {"zh": "累计覆盖人数", "en": "Covered in all"},
    "plan_col_cumulative_share": {"zh": "累计覆盖率", "en": "Covered share"},
    "plan_site": {"zh": "建议新址", "en": "Suggested site"},
    "plan_base": {"zh": "现状", "en": "Current"},
    "plan_scenario_name": {"zh": "情景名称", "en": "Scenario name"},
    "plan_default_name": {"zh": "新情景", "en": "New scenario"},
    "plan_click_hint": {
        "zh": "点击地图选择位置,或输入经纬度(WGS84)。",
        "en": "Click the map to choose a point, or enter WGS84 coordinates.",
    },
    "click_outside": {
        "zh": "点击的位置不在鄂尔多斯市范围内,请在市内点选。",
        "en": "That point is outside Ordos; click a place inside the city.",
    },
    "plan_outside": {"zh": "所选位置不在鄂尔多斯范围内。", "en": "The point is outside Ordos."},
    "plan_add_type": {"zh": "新增设施类型", "en": "Type of the new facility"},
    "plan_add_type_other": {
        "zh": "新增的是{added},当前分析的是{analysed}:新增设施不会计入覆盖率。",
        "en": "The new facility is a {added} but the page analyses {analysed}: it will not count.",
    },
    "plan_no_effect_other_type": {
        "zh": "覆盖率没有变化:这项调整的是{added},而当前分析的是{analysed}。请把“新增设施类型”改为{analysed},或在侧栏改变分析的类型。",
        "en": "No change in coverage: the edit is about a {added}, while the page analyses {analysed}. "
        "Set the type of the new facility to {analysed}, or change the type in the sidebar.",
    },
    "plan_no_effect_nobody_in_reach": {
        "zh": "覆盖率没有变化:该位置{minutes}可达范围内没有{group}居住。",
        "en": "No change in coverage: nobody in the group {group} lives within {minutes} of that point.",
    },
    "plan_no_effect_already_covered": {
        "zh": "覆盖率没有变化:该位置{minutes}可达范围内的{group}已被现有设施覆盖。",
        "en": "No change in coverage: everyone in the group {group} within {minutes} of that point is "
        "already covered by another facility.",
    },
    "plan_no_effect_still_covered": {
        "zh": "覆盖率没有变化:关闭后,原服务范围内的{group}仍能在{minutes}内到达其他设施。",
        "en": "No change in coverage: everyone in the group {group} it served still reaches another "
        "facility within {minutes}.",
    },
    "plan_that_facility": {"zh": "该设施", "en": "that facility"},
    "plan_add_name": {"zh": "新增设施名称(可选)", "en": "Name of the new facility (optional)"},
    "plan_pick": {"zh": "选择现有设施(移动或关闭)", "en": "Existing facility (to move or close)"},
    "plan_add": {"zh": "在此新增", "en": "Add here"},
    "plan_move": {"zh": "移到此处", "en": "Move here"},
    "plan_close": {"zh": "关闭设施", "en": "Close it"},
    "plan_undo": {"zh": "撤销上一步", "en": "Undo last edit"},
    "plan_clear": {"zh": "清空情景", "en": "Clear all edits"},
    "plan_save": {"zh": "保存情景", "en": "Save scenario"},
    "plan_saved": {"zh": "已保存情景“{name}”({file})。", "en": "Scenario “{name}” saved ({file})."},
    "plan_col_step": {"zh": "步骤", "en": "Step"},
    "plan_col_action": {"zh": "操作", "en": "Edit"},
    "plan_col_what": {"zh": "设施", "en": "Facility"},
    "plan_col_where": {"zh": "位置", "en": "Where"},
    "plan_action_add": {"zh": "新增", "en": "Added"},
    "plan_action_move": {"zh": "移动", "en": "Moved"},
    "plan_action_close": {"zh": "关闭", "en": "Closed"},
    "plan_point": {"zh": "所选位置", "en": "Chosen point"},
    "plan_legend": {"zh": "情景", "en": "Scenario"},
    "plan_open_pick": {"zh": "已保存的情景", "en": "Saved scenarios"},
    "plan_open": {"zh": "打开", "en": "Open"},
    "plan_compare": {"zh": "与现状比较(最多3个情景)", "en": "Compare with the current data (up to 3)"},
    "plan_compare_title": {"zh": "情景与现状对比", "en": "Scenario and current state side by side"},
    "plan_compare_hint": {
        "zh": "拖动地图中间的分隔条:左侧为现状(已发布数据),右侧为情景。六边形为未覆盖人口,分级固定。",
        "en": "Drag the divider across the map: the current (published) state on the left, the scenario "
        "on the right. Hexagons are people not covered, in fixed classes.",
    },
    "plan_compare_left": {"zh": "现状", "en": "Current"},
    "plan_compare_right": {"zh": "情景", "en": "Scenario"},
    "plan_compare_aria": {
        "zh": "拖动以对比现状与情景",
        "en": "Drag to compare the current state and the scenario",
    },
    "plan_before": {"zh": "现状覆盖率", "en": "Share now"},
    "plan_after": {"zh": "情景覆盖率", "en": "Share with the scenario"},
    "plan_change": {"zh": "变化", "en": "Change"},
    "plan_current": {"zh": "正在编辑:{name}", "en": "Being edited: {name}"},
    "plan_compare_note": {
        "zh": "覆盖率为{group}的覆盖率;新增覆盖、失去覆盖、净变化按{group}人数计。",
        "en": "Shares are those of {group}; gained, lost and net count {group}.",
    },
    "plan_compare_saved_note": {
        "zh": "覆盖率为百分比;覆盖、增加、减少、净变化按{group}人数计。",
        "en": "Shares in per cent; covered, gained, lost and net count {group}.",
    },
    "plan_metric_pop_total_covered_share": {"zh": "居民覆盖率 %", "en": "residents covered %"},
    "plan_metric_pop_60plus_covered_share": {"zh": "60岁以上覆盖率 %", "en": "60+ covered %"},
    "plan_metric_pop_0_3_covered_share": {"zh": "0–3岁覆盖率 %", "en": "0–3 covered %"},
    "plan_metric_covered": {"zh": "覆盖人数", "en": "covered"},
    "plan_metric_gained": {"zh": "新增覆盖", "en": "gained"},
    "plan_metric_lost": {"zh": "失去覆盖", "en": "lost"},
    "plan_metric_net": {"zh": "净变化", "en": "net"},
    "plan_report_scope": {"zh": "报告范围", "en": "Report for"},
    "plan_report_format": {"zh": "格式", "en": "Format"},
    "plan_report_format_pdf": {"zh": "PDF", "en": "PDF"},
    "plan_report_format_docx": {"zh": "Word(DOCX,可编辑)", "en": "Word (DOCX, editable)"},
    "plan_report_format_html": {"zh": "网页(HTML)", "en": "Web page (HTML)"},
    "plan_report_scenario": {
        "zh": "包含正在编辑的情景“{name}”({n} 项调整)",
        "en": "Include the scenario being edited, “{name}” ({n} edits)",
    },
    "plan_report_what": {
        "zh": "报告使用本页所选的设施类型、出行方式、时间和目标人群,语言与页面一致;含主要结论、各旗区和乡镇覆盖表、"
        "地图、服务缺口、选址建议、情景(如选择)和方法说明。",
        "en": "The report uses the facility type, mode, time and target group chosen on this page, in the "
        "page's language: key findings, coverage by district and township, maps, gaps, suggested sites, "
        "the scenario (if chosen) and the methods.",
    },
    "plan_report_build": {"zh": "生成报告", "en": "Make the report"},
    "plan_report_building": {"zh": "正在生成报告……", "en": "Making the report…"},
    "plan_report_ready": {"zh": "报告已生成:{title}", "en": "Report ready: {title}"},
    "plan_report_stale": {
        "zh": "设置已改变,请重新生成报告。",
        "en": "The settings have changed; make the report again.",
    },
    "plan_report_no_font": {
        "zh": "服务器上没有中文字体,无法生成 PDF;请选择 Word 或网页格式,或请管理员安装 fonts-noto-cjk。",
        "en": "The server has no CJK font, so no PDF can be made; choose Word or web page, or ask the "
        "administrator to install fonts-noto-cjk.",
    },
    "plan_report_failed": {"zh": "未能生成报告:{detail}", "en": "The report could not be made: {detail}"},
    "plan_report_download_pdf": {"zh": "下载 PDF 报告", "en": "Download the PDF report"},
    "plan_report_download_docx": {"zh": "下载 Word 报告", "en": "Download the Word report"},
    "plan_report_download_html": {"zh": "下载网页报告", "en": "Download the web page report"},
    # --- data staff page (数据管理 · Data)
    "data_title": {"zh": "数据管理", "en": "Data management"},
    "data_intro": {
        "zh": "供数据管理员导入设施清单(逐行校验、预览、发布为新版本),查看历史版本、导出或恢复。",
        "en": "For data staff: import a facility list (checked row by row, previewed, published as a new "
        "version), and view, export or restore any earlier version.",
    },
    "login_required": {
        "zh": "此页面需要登录。账号由系统管理员在命令行创建(python -m geo users add)。",
        "en": "This page needs a login. Accounts are created by the administrator on the command line "
        "(python -m geo users add).",
    },
    "login_name": {"zh": "用户名", "en": "User name"},
    "login_password": {"zh": "密码", "en": "Password"},
    "login_button": {"zh": "登录", "en": "Log in"},
    "logged_in_as": {"zh": "已登录:{name}", "en": "Logged in as {name}"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "tab_import": {"zh": "导入数据", "en": "Import"},
    "tab_history": {"zh": "历史版本", "en": "History"},
    "tab_quality": {"zh": "数据质量", "en": "Data quality"},
    "tab_layers": {"zh": "人口与乡镇边界", "en": "Population & townships"},
    "demand_title": {"zh": "人口需求", "en": "Population (demand)"},
    "demand_intro": {
        "zh": "导入本市的人口数据,替换模拟样本:人口栅格(GeoTIFF,如 WorldPop、GHSL,任意坐标系)、带人口数的面"
        "(社区/村界,GeoJSON、GeoPackage 或压缩的 Shapefile)或小区点(CSV,常住人口或户数 × 户均人口)。"
        "人口会汇总到 H3 六边形网格;鄂尔多斯以外的人口会被裁除并列出。",
        "en": "Load the city's own population in place of the modelled sample: a population raster (GeoTIFF such "
        "as WorldPop or GHSL, any CRS), polygons with counts (community/village boundaries as GeoJSON, "
        "GeoPackage or a zipped Shapefile) or points (CSV of residential compounds with residents, or households "
        "× household size). People are summed into H3 hexagon cells; people outside Ordos are clipped off and listed.",
    },
    "demand_now_sample": {
        "zh": "当前需求:模拟样本({cells} 个网格,{people} 人)。",
        "en": "Demand now: the modelled sample ({cells} cells, {people} people).",
    },
    "demand_now": {
        "zh": "当前需求:版本 {version},{file}({cells} 个网格,{people} 人,其中模拟 {modelled})。",
        "en": "Demand now: version {version}, {file} ({cells} cells, {people} people, {modelled} modelled).",
    },
    "demand_upload": {"zh": "选择人口文件", "en": "Choose a population file"},
    "demand_upload_help": {
        "zh": "GeoTIFF、GeoJSON、GeoPackage、压缩的 Shapefile(.zip)或 CSV;不超过 100 MB,更大的文件请用命令行导入。",
        "en": "GeoTIFF, GeoJSON, GeoPackage, zipped Shapefile (.zip) or CSV; up to 100 MB (larger files: use the "
        "command line).",
    },
    "demand_crs": {"zh": "坐标系", "en": "Coordinate system"},
    "demand_crs_file": {"zh": "按文件声明(CSV 为 WGS84)", "en": "As the file says (CSV: WGS84)"},
    "demand_crs_wgs84": {"zh": "WGS84(GPS、OSM)", "en": "WGS84 (GPS, OSM)"},
    "demand_crs_gcj02": {"zh": "GCJ-02(高德、腾讯)", "en": "GCJ-02 (AutoNavi, Tencent)"},
    "demand_crs_bd09": {"zh": "BD-09(百度)", "en": "BD-09 (Baidu)"},
    "demand_crs_epsg": {"zh": "EPSG 编号", "en": "EPSG code"},
    "demand_epsg": {"zh": "EPSG 编号(如 4490、32649)", "en": "EPSG code (e.g. 4490, 32649)"},
    "demand_resolution": {"zh": "网格大小(H3 分辨率)", "en": "Cell size (H3 resolution)"},
    "demand_res_8": {"zh": "8(约 0.74 km²)", "en": "8 (about 0.74 km²)"},
    "demand_res_9": {"zh": "9(约 0.11 km²)", "en": "9 (about 0.11 km²)"},
    "demand_res_10": {"zh": "10(约 0.015 km²)", "en": "10 (about 0.015 km²)"},
    "demand_mode_replace": {"zh": "替换整个图层", "en": "Replace the whole layer"},
    "demand_mode_patch": {"zh": "只替换文件覆盖的范围", "en": "Replace only where the file covers"},
    "demand_count": {
        "zh": "人口列(栅格:波段号;留空自动识别)",
        "en": "Population column (raster: band; blank: recognised)",
    },
    "demand_age60": {"zh": "60 岁以上列(可选)", "en": "Aged 60+ column (optional)"},
    "demand_age03": {"zh": "0–3 岁列(可选)", "en": "Aged 0–3 column (optional)"},
    "demand_household": {
        "zh": "户均人口(只给户数时;0 表示不用)",
        "en": "People per household (when only households are given; 0: none)",
    },
    "demand_weights": {
        "zh": "权重文件(可选,仅面文件):人口/建成区栅格或建筑面,按权重而非面积分配",
        "en": "Weights (optional, polygons only): a population or built-up raster, or buildings, to spread by "
        "instead of by area",
    },
    "demand_checking": {"zh": "正在检查文件……", "en": "Checking the file…"},
    "demand_read": {
        "zh": "{file}:{kind},坐标系 {crs},文件人口 {people},鄂尔多斯以外 {outside}。",
        "en": "{file}: {kind}, CRS {crs}, {people} people in the file, {outside} outside Ordos.",
    },
    "demand_where": {"zh": "位置", "en": "Where"},
    "demand_report_title": {"zh": "检查结果", "en": "Check report"},
    "demand_preview_title": {"zh": "发布前预览", "en": "Preview before publishing"},
    "demand_col_district": {"zh": "旗区", "en": "District"},
    "demand_col_now": {"zh": "现有人口", "en": "People now"},
    "demand_col_file": {"zh": "文件人口", "en": "People in file"},
    "demand_col_cells_people": {"zh": "网格人口", "en": "People in cells"},
    "demand_col_60plus": {"zh": "60 岁以上", "en": "Aged 60+"},
    "demand_col_0_3": {"zh": "0–3 岁", "en": "Aged 0–3"},
    "demand_col_cells": {"zh": "网格数", "en": "Cells"},
    "demand_col_ages": {"zh": "年龄组来源", "en": "Age groups from"},
    "demand_col_kind": {"zh": "类型", "en": "Kind"},
    "demand_kind_sample": {"zh": "模拟样本", "en": "modelled sample"},
    "demand_kind_raster": {"zh": "人口栅格", "en": "population raster"},
    "demand_kind_polygons": {"zh": "带人口数的面", "en": "polygons with counts"},
    "demand_kind_points": {"zh": "居住点", "en": "residential points"},
    "demand_ages_file": {"zh": "文件", "en": "file"},
    "demand_ages_census": {"zh": "普查比例", "en": "census shares"},
    "demand_ages_mixed": {"zh": "文件+普查比例", "en": "file + census shares"},
    "demand_metric_cells": {"zh": "网格", "en": "Cells"},
    "demand_metric_people": {"zh": "人口", "en": "People"},
    "demand_metric_modelled": {"zh": "模拟样本占比", "en": "Modelled share"},
    "demand_map_title": {"zh": "新的人口网格({n} 个)", "en": "The new population cells ({n})"},
    "demand_legend": {"zh": "人口密度(人/平方公里)", "en": "People per km²"},
    "demand_hex_tip": {"zh": "{people} 人({density})", "en": "{people} people ({density})"},
    "demand_publish": {"zh": "发布为需求版本 {version}", "en": "Publish as demand version {version}"},
    "demand_published": {
        "zh": "已发布需求版本 {version}:{cells} 个网格,{people} 人。",
        "en": "Published demand version {version}: {cells} cells, {people} people.",
    },
    "demand_history_none": {
        "zh": "尚未导入人口数据;当前需求为模拟样本。",
        "en": "No population imported yet; the demand is the modelled sample.",
    },
    "boundaries_title": {"zh": "乡镇边界", "en": "Township boundaries"},
    "boundaries_now_none": {
        "zh": "尚未导入乡镇边界;按乡镇统计时使用模拟的乡镇驻地。",
        "en": "No township boundaries yet; tables by township use the modelled township seats.",
    },
    "boundaries_now": {
        "zh": "当前乡镇边界:版本 {version},{file}({n} 个乡镇)。",
        "en": "Township boundaries now: version {version}, {file} ({n} townships).",
    },
    "boundaries_upload": {
        "zh": "选择乡镇边界文件(GeoJSON、GeoPackage 或压缩的 Shapefile)",
        "en": "Choose a township boundary file (GeoJSON, GeoPackage or zipped Shapefile)",
    },
    "boundaries_name_column": {"zh": "名称列(留空自动识别)", "en": "Name column (blank: recognised)"},
    "boundaries_code_column": {"zh": "代码列(可选)", "en": "Code column (optional)"},
    "boundaries_read": {
        "zh": "{file}:{n} 个乡镇,名称列 {name},代码列 {code}。",
        "en": "{file}: {n} townships, name column {name}, code column {code}.",
    },
    "boundaries_col_n": {"zh": "乡镇数", "en": "Townships"},
    "boundaries_col_area": {"zh": "面积(km²)", "en": "Area (km²)"},
    "boundaries_publish": {"zh": "发布为边界版本 {version}", "en": "Publish as boundary version {version}"},
    "boundaries_published": {
        "zh": "已发布乡镇边界版本 {version}({n} 个乡镇)。",
        "en": "Published township boundary version {version} ({n} townships).",
    },
    "templates_title": {"zh": "1. 下载模板", "en": "1. Download a template"},
    "templates_help": {
        "zh": "模板含中英文表头说明和示例行(导入前请删除示例行)。表头可用中文或英文,顺序不限。",
        "en": "The templates explain every column in Chinese and English and have example rows (delete "
        "them before importing). Headers may be in Chinese or English, in any order.",
    },
    "template_csv": {"zh": "CSV 模板(UTF-8 带 BOM)", "en": "CSV template (UTF-8 with BOM)"},
    "template_xlsx": {"zh": "Excel 模板(XLSX)", "en": "Excel template (XLSX)"},
    "upload_title": {"zh": "2. 上传并校验", "en": "2. Upload and check"},
    "upload_label": {"zh": "设施文件(CSV 或 XLSX)", "en": "Facility file (CSV or XLSX)"},
    "upload_limits": {
        "zh": "限制:{limits};CSV 可为 UTF-8(可带 BOM)或 GB18030/GBK 编码,逗号、制表符或分号分隔。",
        "en": "Limits: {limits}; CSV in UTF-8 (with or without BOM) or GB18030/GBK, separated by "
        "commas, tabs or semicolons.",
    },
    "file_crs": {"zh": "文件中经纬度的坐标系", "en": "Coordinate system of the file"},
    "import_mode": {"zh": "导入方式", "en": "Import mode"},
    "import_mode_upsert": {"zh": "新增与更新", "en": "Add and update (upsert)"},
    "import_mode_replace": {"zh": "完整替换", "en": "Complete replacement"},
    "mode_note_upsert": {
        "zh": "文件中的设施将被新增或按编号更新,其他已发布设施保持不变。",
        "en": "Facilities in the file are added or updated by id; all other published facilities stay.",
    },
    "mode_note_replace": {
        "zh": "文件即完整清单:已发布但文件中没有的设施将被标记为“已关闭”(发布前会列出)。",
        "en": "The file is the complete list: published facilities missing from it will be closed "
        "(listed before publishing).",
    },
    "report_title": {"zh": "校验报告", "en": "Check report"},
    "file_read": {
        "zh": "文件 {file}:{rows} 行数据,编码 {encoding}。",
        "en": "File {file}: {rows} data rows, encoding {encoding}.",
    },
    "report_errors": {
        "zh": "发现 {errors} 个错误、{warnings} 个警告。有错误时不能导入:请按下表修改文件后重新上传(未做任何更改)。",
        "en": "{errors} errors and {warnings} warnings. A file with errors cannot be imported: fix it as "
        "the table says and upload it again (nothing was changed).",
    },
    "report_warnings": {
        "zh": "没有错误,有 {warnings} 个警告,请核对后再发布。",
        "en": "No errors; {warnings} warnings to check before publishing.",
    },
    "report_clean": {"zh": "校验通过:{rows} 行全部有效。", "en": "All {rows} rows are valid."},
    "sev_error": {"zh": "错误", "en": "error"},
    "sev_warning": {"zh": "警告", "en": "warning"},
    "rep_row": {"zh": "行号", "en": "Row"},
    "rep_column": {"zh": "列", "en": "Column"},
    "rep_code": {"zh": "代码", "en": "Code"},
    "rep_severity": {"zh": "级别", "en": "Severity"},
    "rep_value": {"zh": "内容", "en": "Value"},
    "rep_message": {"zh": "说明与修改方法", "en": "Message and how to fix it"},
    "report_download": {"zh": "下载校验报告(CSV)", "en": "Download the report (CSV)"},
    "report_pick_row": {
        "zh": "点选一行可在下方阅读完整说明;也可展开“全部说明”。",
        "en": "Select a row to read its full message below, or open 'All messages'.",
    },
    "report_full": {"zh": "全部说明(前 {n} 条,完整文字)", "en": "All messages (first {n}, in full)"},
    "rep_file": {"zh": "整个文件", "en": "Whole file"},
    "rep_row_n": {"zh": "第 {row} 行", "en": "Row {row}"},
    "dup_title": {"zh": "可能重复的设施", "en": "Possible duplicates"},
    "dup_intro": {
        "zh": "有 {n} 对记录可能是同一设施(名称相近且相距不超过 100 米,或同一乡镇内电话或地址相同)。"
        "请逐对核对:不是重复的请标记,重新录入的已发布设施请合并到原编号。",
        "en": "{n} pairs of rows may be the same facility (similar names within 100 m, or the same phone "
        "or address in one township). Check each pair: mark those that are not duplicates, and merge a "
        "published facility entered again under a new id into its id.",
    },
    "dup_pair": {
        "zh": "第 {row} 行 {id}“{name}”可能与{other}是同一设施:{reasons}{distance}。",
        "en": "Row {row} {id} '{name}' may be the same facility as {other}: {reasons}{distance}.",
    },
    "dup_other_published": {"zh": "已发布设施 {id}“{name}”", "en": "the published {id} '{name}'"},
    "dup_other_row": {"zh": "第 {row} 行 {id}“{name}”", "en": "row {row} {id} '{name}'"},
    "dup_distance": {"zh": ",相距 {metres} 米", "en": ", {metres} m apart"},
    "dup_reason_similar_name": {"zh": "名称相同或相近", "en": "same or similar name"},
    "dup_reason_same_phone": {"zh": "同一乡镇内电话相同", "en": "same phone in the same township"},
    "dup_reason_same_address": {"zh": "同一乡镇内地址相同", "en": "same address in the same township"},
    "dup_not_duplicate": {"zh": "不是重复", "en": "Not a duplicate"},
    "dup_merge": {"zh": "合并到 {id}", "en": "Merge into {id}"},
    "dup_more": {"zh": "另有 {n} 对见校验报告。", "en": "{n} more pairs are in the report."},
    "dup_merged": {
        "zh": "文件中的 {id} 将作为已发布设施 {published} 的更新导入。",
        "en": "The file's {id} will be imported as an update of the published {published}.",
    },
    "dup_unmerge": {"zh": "撤销合并", "en": "Undo the merge"},
    "merge_failed": {"zh": "合并已取消:{detail}", "en": "Merge cancelled: {detail}"},
    "preview_title": {"zh": "3. 预览更改", "en": "3. Preview the changes"},
    "preview_base": {
        "zh": "与当前版本 {version} 比较({mode})。",
        "en": "Compared with the current version {version} ({mode}).",
    },
    "preview_filter": {"zh": "筛选(编号、名称、字段或内容)", "en": "Filter (id, name, field or value)"},
    "preview_filter_hint": {"zh": "输入文字以筛选下列表格", "en": "Type to filter the tables below"},
    "preview_tab_added": {"zh": "新增 {n}", "en": "Added {n}"},
    "preview_tab_changed": {"zh": "修改 {n}", "en": "Changed {n}"},
    "preview_tab_closed": {"zh": "将关闭 {n}", "en": "To be closed {n}"},
    "preview_none": {"zh": "没有符合条件的行。", "en": "No rows here."},
    "preview_fields": {"zh": "只看这些字段", "en": "Only these fields"},
    "count_added": {"zh": "新增", "en": "Added"},
    "count_changed": {"zh": "修改", "en": "Changed"},
    "count_removed": {"zh": "删除", "en": "Removed"},
    "count_unchanged": {"zh": "未变", "en": "Unchanged"},
    "count_closed": {"zh": "将关闭", "en": "To be closed"},
    "changes_title": {
        "zh": "{n} 个设施的字段更改(原值 → 新值)",
        "en": "Field changes of {n} facilities (old → new)",
    },
    "col_id": {"zh": "编号", "en": "ID"},
    "col_field": {"zh": "字段", "en": "Field"},
    "col_old": {"zh": "原值", "en": "Old"},
    "col_new": {"zh": "新值", "en": "New"},
    "closed_title": {
        "zh": "完整替换:以下 {n} 个已发布设施不在文件中,发布后将标记为“已关闭”。",
        "en": "Complete replacement: these {n} published facilities are not in the file and will be "
        "closed when you publish.",
    },
    "preview_map_title": {"zh": "新增和修改的 {n} 个设施", "en": "The {n} added and changed facilities"},
    "preview_nothing": {
        "zh": "文件与当前数据相同,无需发布。",
        "en": "The file matches the current data; nothing to publish.",
    },
    "preview_stale": {
        "zh": "此预览基于版本 {base},但数据已更新到版本 {current}。请重新预览后再发布(文件和选项都会保留)。",
        "en": "This preview is based on version {base}, but the data are now at version {current}. "
        "Preview again before publishing (your file and choices are kept).",
    },
    "repreview": {"zh": "重新预览", "en": "Preview again"},
    "publish_button": {"zh": "发布为版本 {version}", "en": "Publish as version {version}"},
    "published": {
        "zh": "已发布版本 {version}(共 {total} 个设施),所有页面立即使用新数据。",
        "en": "Published version {version} ({total} facilities); every page uses it now.",
    },
    "publish_conflict": {
        "zh": "未发布:预览(基于版本 {base})之后,其他人已发布了版本 {current}。"
        "未做任何更改,也没有丢失任何内容;请重新预览,核对后再发布。",
        "en": "Not published: someone published version {current} after your preview (based on version "
        "{base}). Nothing was changed and nothing is lost; preview again, check it and publish.",
    },
    "publish_failed": {"zh": "未发布:{detail}", "en": "Not published: {detail}"},
    "history_title": {"zh": "所有版本", "en": "All versions"},
    "quality_title": {"zh": "数据质量与更新情况", "en": "Data quality and freshness"},
    "q_intro": {
        "zh": "列出需要电话核实的设施(已关闭的不列):长期未更新、缺少电话/开放时间/容量、空余名额大于容量、运营中但未报空余名额。",
        "en": "Facilities to follow up by phone (closed ones are not listed): not updated for long, no "
        "phone, hours or capacity, more places available than capacity, or open without reported places.",
    },
    "q_months": {"zh": "超过多少个月未更新算过期", "en": "Stale after how many months"},
    "q_summary": {
        "zh": "版本 {version}:检查 {checked} 个设施,{n} 个需要跟进(截至 {today})。",
        "en": "Version {version}: {checked} facilities checked, {n} to follow up (as of {today}).",
    },
    "q_by_district": {"zh": "各旗区统计", "en": "Counts per district"},
    "q_filter_problems": {"zh": "只看这些问题", "en": "Only these problems"},
    "q_filter_district": {"zh": "旗区", "en": "District"},
    "q_all_districts": {"zh": "全部旗区", "en": "All districts"},
    "q_list": {"zh": "需要跟进的设施({n} 个)", "en": "Facilities to follow up ({n})"},
    "q_download_list": {"zh": "下载跟进清单(CSV)", "en": "Download the follow-up list (CSV)"},
    "q_download_districts": {"zh": "下载各旗区统计(CSV)", "en": "Download the counts per district (CSV)"},
    "q_district": {"zh": "旗区", "en": "District"},
    "q_township": {"zh": "乡镇街道", "en": "Township"},
    "q_phone": {"zh": "电话", "en": "Phone"},
    "q_updated_at": {"zh": "更新日期", "en": "Updated"},
    "q_problems": {"zh": "问题", "en": "Problems"},
    "q_checked": {"zh": "检查设施数", "en": "Checked"},
    "q_with_problems": {"zh": "需跟进", "en": "To follow up"},
    "hist_version": {"zh": "版本", "en": "Version"},
    "hist_created_at": {"zh": "时间(UTC)", "en": "Time (UTC)"},
    "hist_user_name": {"zh": "用户", "en": "User"},
    "hist_action": {"zh": "操作", "en": "Action"},
    "hist_mode": {"zh": "方式", "en": "Mode"},
    "hist_file_name": {"zh": "文件", "en": "File"},
    "hist_sha256": {"zh": "SHA-256(前12位)", "en": "SHA-256 (first 12)"},
    "hist_restored_from": {"zh": "恢复自版本", "en": "Restored from"},
    "hist_added": {"zh": "新增", "en": "Added"},
    "hist_changed": {"zh": "修改", "en": "Changed"},
    "hist_removed": {"zh": "删除", "en": "Removed"},
    "hist_unchanged": {"zh": "未变", "en": "Unchanged"},
    "hist_total": {"zh": "总数", "en": "Total"},
    "hist_note": {"zh": "备注", "en": "Note"},
    "action_init": {"zh": "初始数据", "en": "initial data"},
    "action_import": {"zh": "导入", "en": "import"},
    "action_restore": {"zh": "恢复", "en": "restore"},
    "hist_pick": {"zh": "查看版本", "en": "View version"},
    "version_label": {"zh": "版本 {version}", "en": "Version {version}"},
    "version_rows": {"zh": "版本 {version}:{n} 个设施", "en": "Version {version}: {n} facilities"},
    "export_csv": {"zh": "导出 CSV(UTF-8 带 BOM)", "en": "Export CSV (UTF-8 with BOM)"},
    "export_xlsx": {"zh": "导出 Excel(XLSX)", "en": "Export Excel (XLSX)"},
    "export_geojson": {"zh": "导出 GeoJSON", "en": "Export GeoJSON"},
    "restore_newest": {"zh": "这是当前版本。", "en": "This is the current version."},
    "restore_button": {"zh": "恢复版本 {version}……", "en": "Restore version {version}…"},
    "restore_confirm_text": {
        "zh": "确定恢复版本 {version} 吗?其设施清单将发布为新版本 {new},记录您的用户名;之前的版本都会保留。",
        "en": "Restore version {version}? Its facility list will be published as the new version {new}, "
        "recorded with your user name; all earlier versions are kept.",
    },
    "restore_confirm": {"zh": "确认恢复", "en": "Yes, restore"},
    "restore_cancel": {"zh": "取消", "en": "Cancel"},
    "restored": {
        "zh": "已将版本 {source} 恢复为新版本 {version}。",
        "en": "Version {source} was restored as the new version {version}.",
    },
    "restore_conflict": {
        "zh": "未恢复:数据刚被他人更新,请再试一次。",
        "en": "Not restored: the data were just updated by someone else; try again.",
    },
    "modelled_note": {
        "zh": "注意:当前{layers}为**模拟样本数据**(按2020年人口普查等公开资料建模),并非真实记录;"
        "导入真实数据后将自动替换。",
        "en": "Note: the {layers} shown are a **modelled sample** (built from the 2020 census and other "
        "public data), not real records, until real data are loaded.",
    },
    "data_layer_facilities": {"zh": "设施", "en": "facilities"},
    "data_layer_demand": {"zh": "人口需求", "en": "population (demand)"},
    "data_layer_demand_part": {"zh": "人口需求(其中 {share})", "en": "population (demand; {share} of it)"},
    "data_layer_boundaries": {"zh": "乡镇(模拟的乡镇驻地)", "en": "townships (modelled seats)"},
    "data_layer_network": {"zh": "路网", "en": "road network"},
    "data_layer_join": {"zh": "、", "en": ", "},
    "sources_title": {"zh": "数据来源", "en": "Data sources"},
    "sources_layer": {"zh": "图层", "en": "Layer"},
    "sources_version": {"zh": "版本", "en": "Version"},
    "sources_source": {"zh": "来源", "en": "Source"},
    "sources_modelled": {"zh": "模拟数据", "en": "Modelled"},
    "sources_yes": {"zh": "是", "en": "yes"},
    "sources_part": {"zh": "部分({share})", "en": "in part ({share})"},
    "sources_no": {"zh": "否", "en": "no"},
    "sources_sample": {"zh": "模拟样本(datasets/)", "en": "modelled sample (datasets/)"},
    "sources_seats": {
        "zh": "模拟的乡镇驻地(datasets/townships_modelled.csv)",
        "en": "modelled township seats (datasets/townships_modelled.csv)",
    },
    "sources_no_network": {"zh": "未导入路网(直线距离模型)", "en": "no road network (straight-line model)"},
    "sources_demand_detail": {
        "zh": "{source}({kind};H3 分辨率 {resolution};{cells} 个网格;{people} 人)",
        "en": "{source} ({kind}; H3 resolution {resolution}; {cells} cells; {people} people)",
    },
    "sources_published_at": {"zh": "{source} · 发布于 {when}", "en": "{source} · published {when}"},
    "data_version": {"zh": "数据版本 {version}", "en": "Data version {version}"},
    "basemap": {"zh": "底图", "en": "Basemap"},
    "basemap_osm": {"zh": "OpenStreetMap(WGS84)", "en": "OpenStreetMap (WGS84)"},
    "basemap_gaode": {"zh": "高德地图(GCJ-02)", "en": "AutoNavi / Gaode (GCJ-02)"},
    "basemap_none": {"zh": "无底图(离线)", "en": "No basemap (offline)"},
    "no_data": {
        "zh": "数据库中还没有已发布的设施数据。",
        "en": "There are no published facilities in the database yet.",
    },
    # --- facility map page
    "map_title": {"zh": "设施地图", "en": "Facility map"},
    "map_intro": {
        "zh": "鄂尔多斯市9个旗区的养老与托育/儿童服务设施,按类型着色,点击圆点查看详情。",
        "en": "Elderly care and childcare facilities in the 9 districts of Ordos, coloured by type; "
        "click a dot for details.",
    },
    "filter_title": {"zh": "筛选", "en": "Filter"},
    "filter_category": {"zh": "类别", "en": "Category"},
    "filter_type": {"zh": "类型", "en": "Type"},
    "shown_count": {"zh": "显示 {shown} / {total} 个设施", "en": "Showing {shown} of {total} facilities"},
    "count_table": {"zh": "各旗区设施数量", "en": "Facilities by district"},
    "total": {"zh": "合计", "en": "Total"},
    "district": {"zh": "旗区", "en": "District"},
    "legend_types": {"zh": "设施类型", "en": "Facility types"},
    "download_map_html": {"zh": "下载地图(HTML,可离线打开)", "en": "Download map (HTML, works offline)"},
    "map_touch_hint": {"zh": "用两根手指移动或缩放地图", "en": "Use two fingers to move or zoom the map"},
    # --- popup field labels
    "f_address": {"zh": "地址", "en": "Address"},
    "f_hours": {"zh": "开放时间", "en": "Opening hours"},
    "f_phone": {"zh": "电话", "en": "Phone"},
    "f_capacity": {"zh": "容量", "en": "Capacity"},
    "f_available": {"zh": "空余名额", "en": "Places available"},
    # --- finder page
    "find_title": {"zh": "找服务", "en": "Find services"},
    "find_intro": {
        "zh": "设置您的位置,选择需要的服务和出行方式,查看附近设施及所需时间。",
        "en": "Set your location, choose what you need and how you travel, and see nearby services.",
    },
    "large_text": {"zh": "大字模式", "en": "Larger text"},
    "where_how": {"zh": "您的位置", "en": "Your location"},
    "where_map": {"zh": "在地图上点选", "en": "Tap the map"},
    "where_place": {"zh": "输入地名", "en": "Type a place"},
    "where_coords": {"zh": "输入坐标", "en": "Paste coordinates"},
    "click_hint": {
        "zh": "点地图左上角的 ◎ 按钮使用您现在的位置,或在下方地图上点选您的位置。",
        "en": "Press ◎ (top left of the map) to use where you are now, or tap your location on the map below.",
    },
    "locate_me": {"zh": "使用我现在的位置", "en": "Use my current location"},
    "locate_locating": {"zh": "正在获取您的位置……", "en": "Finding your location…"},
    "locate_denied": {
        "zh": "浏览器没有允许定位。请在浏览器设置中允许本网站使用位置,或在地图上点选、输入地名。",
        "en": "The browser did not allow location. Allow this site to use your location in the browser "
        "settings, or tap the map or type a place.",
    },
    "locate_unavailable": {
        "zh": "无法获取您的位置,请在地图上点选或输入地名。",
        "en": "Your location is not available; tap the map or type a place.",
    },
    "locate_timeout": {
        "zh": "定位超时,请再试一次,或在地图上点选。",
        "en": "Finding your location took too long; try again or tap the map.",
    },
    "locate_outside": {
        "zh": "您现在的位置不在鄂尔多斯市范围内,请在地图上点选或输入地名。",
        "en": "Your current location is outside Ordos; tap the map or type a place.",
    },
    "place_query": {
        "zh": "地名、乡镇、社区、村或坐标(汉字、拼音均可)",
        "en": "Place, township, community, village or coordinates (Chinese, pinyin or English)",
    },
    "place_results": {"zh": "匹配结果", "en": "Matches"},
    "place_none": {
        "zh": "没有找到「{query}」。离线地名库包含旗区、乡镇街道苏木、设施名称中的社区和嘎查村、设施名称和地址;"
        "不含小区、商场和街道门牌。请换个说法,或在地图上点选、输入坐标。",
        "en": "Nothing found for “{query}”. The offline gazetteer holds districts, townships, the "
        "communities and villages named by facilities, and facility names and addresses; not residential "
        "compounds, shops or streets. Try other words, tap the map or give coordinates.",
    },
    "place_online_none": {
        "zh": "在线地名服务也没有找到。",
        "en": "The online geocoder found nothing either.",
    },
    "place_online_failed": {
        "zh": "在线地名服务无法连接,以下为离线地名库的结果。",
        "en": "The online geocoder could not be reached; these are the offline gazetteer's matches.",
    },
    "place_online_outside": {
        "zh": "在线地名服务找到的地点不在鄂尔多斯市,以下为离线地名库的结果。",
        "en": "The online geocoder's answer lies outside Ordos; these are the offline gazetteer's matches.",
    },
    "place_online_used": {
        "zh": "第一个结果来自在线地名服务({provider}),其余来自离线地名库。",
        "en": "The first match comes from the online geocoder ({provider}); the others from the offline "
        "gazetteer.",
    },
    "place_swapped": {
        "zh": "您输入的坐标是「纬度, 经度」的顺序,已按 经度 {lon:.5f}、纬度 {lat:.5f} 使用。",
        "en": "The coordinates were typed as latitude, longitude; used as longitude {lon:.5f}, "
        "latitude {lat:.5f}.",
    },
    "place_modelled": {"zh": "(位置为模拟)", "en": "(modelled location)"},
    "kind_seat": {"zh": "城区(旗区政府驻地)", "en": "town (district seat)"},
    "kind_district": {"zh": "旗区,定位到驻地", "en": "district, at its seat town"},
    "kind_subdistrict": {"zh": "街道", "en": "subdistrict"},
    "kind_town": {"zh": "镇", "en": "town"},
    "kind_sumu": {"zh": "苏木", "en": "sumu"},
    "kind_township": {"zh": "乡", "en": "township"},
    "kind_community": {"zh": "社区", "en": "community"},
    "kind_village": {"zh": "嘎查村", "en": "village"},
    "kind_place": {"zh": "地名", "en": "place"},
    "kind_facility": {"zh": "设施", "en": "facility"},
    "kind_address": {"zh": "地址", "en": "address"},
    "kind_online": {"zh": "在线查询", "en": "online search"},
    "kind_coordinates": {"zh": "坐标", "en": "coordinates"},
    "kind_click": {"zh": "地图上的位置", "en": "point on the map"},
    "match_name": {"zh": "名称", "en": "name"},
    "match_spelling": {"zh": "英文/常用拼写", "en": "English spelling"},
    "match_pinyin": {"zh": "拼音", "en": "pinyin"},
    "match_sound": {"zh": "同音", "en": "same sound"},
    "match_fuzzy": {"zh": "近似", "en": "similar"},
    "match_online": {"zh": "在线", "en": "online"},
    "match_coordinates": {"zh": "坐标", "en": "coordinates"},
    "use_place": {"zh": "使用此位置", "en": "Use this place"},
    "coords_input": {"zh": "经度, 纬度(如 109.78, 39.61)", "en": "Longitude, latitude (e.g. 109.78, 39.61)"},
    "coords_crs": {"zh": "坐标系", "en": "Coordinate system"},
    "crs_wgs84": {"zh": "WGS84(GPS、OSM)", "en": "WGS84 (GPS, OSM)"},
    "crs_gcj02": {"zh": "GCJ-02(高德、腾讯)", "en": "GCJ-02 (AutoNavi, Tencent)"},
    "crs_bd09": {"zh": "BD-09(百度)", "en": "BD-09 (Baidu)"},
    "use_coords": {"zh": "使用此坐标", "en": "Use these coordinates"},
    "coords_error_format": {
        "zh": "坐标有误:应为两个数字,如 109.78, 39.61(经度在前或纬度在前均可)。",
        "en": "Coordinates not understood: give two numbers such as 109.78, 39.61 (either order).",
    },
    "coords_error_outside": {
        "zh": "坐标 ({lon}, {lat}) 不在鄂尔多斯市范围内(经度 106.4–111.5,纬度 37.6–40.9)。",
        "en": "The point ({lon}, {lat}) is outside Ordos (longitude 106.4–111.5, latitude 37.6–40.9).",
    },
    "link_place_bad": {
        "zh": "链接中的位置无法使用(不在鄂尔多斯市范围内或格式有误),请重新设置位置。",
        "en": "The location in the link cannot be used (outside Ordos or malformed); set your location again.",
    },
    "link_place_none": {
        "zh": "链接中的地名「{query}」没有找到,请重新设置位置。",
        "en": "The place “{query}” in the link was not found; set your location again.",
    },
    "home_label": {"zh": "我的位置", "en": "My location"},
    "home_set": {
        "zh": "当前位置:{label}({kind};{lon:.5f}, {lat:.5f})",
        "en": "Location: {label} ({kind}; {lon:.5f}, {lat:.5f})",
    },
    "no_home": {
        "zh": "请先设置您的位置:输入地名,或点地图上的 ◎ 使用您现在的位置。",
        "en": "Set your location first: type a place, or press ◎ on the map to use where you are.",
    },
    "need": {"zh": "需要什么服务", "en": "What you need"},
    "need_elderly": {"zh": "养老服务(全部)", "en": "Elderly care (all)"},
    "need_child": {"zh": "托育/儿童(全部)", "en": "Children (all)"},
    "mode": {"zh": "出行方式", "en": "How you travel"},
    "mode_walk": {"zh": "步行", "en": "Walk"},
    "mode_elderly_walk": {"zh": "慢步行(老年人)", "en": "Slower walk (older people)"},
    "mode_bike": {"zh": "骑车", "en": "Bike"},
    "mode_drive": {"zh": "驾车", "en": "Drive"},
    "results_title": {"zh": "附近设施(按时间排序)", "en": "Nearby services (by travel time)"},
    "results_none": {
        "zh": "{minutes} 分钟内没有找到此类设施,可换一种出行方式。",
        "en": "None within {minutes} minutes; try another way of travelling.",
    },
    "result_line": {
        "zh": "约 {minutes} · 直线 {distance}",
        "en": "about {minutes} · {distance} as the crow flies",
    },
    "minutes_n": {"zh": "{n} 分钟", "en": "{n} minutes", "en_one": "{n} minute"},
    "distance_m": {"zh": "{m} 米", "en": "{m} m"},
    "distance_km": {"zh": "{km} 公里", "en": "{km} km"},
    "open_now": {"zh": "现在营业", "en": "Open now"},
    "closed_now": {"zh": "现在未营业", "en": "Closed now"},
    "hours_unknown": {"zh": "营业状态未知", "en": "Opening status unknown"},
    "places_available": {
        "zh": "空余名额 {n} 个",
        "en": "{n} places available",
        "en_one": "{n} place available",
    },
    "nav_title": {"zh": "导航", "en": "Directions"},
    "nav_amap": {"zh": "高德地图", "en": "AutoNavi"},
    "nav_baidu": {"zh": "百度地图", "en": "Baidu Maps"},
    "nav_system": {"zh": "手机地图", "en": "Phone's maps"},
    "reach_15": {"zh": "15分钟可达范围", "en": "Reachable in 15 minutes"},
    "lines_note": {
        "zh": "地图上的虚线为直线连接,实际路线可能更长;编号与地图上的编号对应。",
        "en": "Dashed lines on the map are straight connections; the way there may be longer. The numbers "
        "match the numbered pins on the map.",
    },
    # --- coverage page
    "cov_title": {"zh": "覆盖分析", "en": "Coverage"},
    "cov_intro": {
        "zh": "各旗区、乡镇居民在设定时间内到达所选设施的覆盖情况(按人口计算)。",
        "en": "Share of people in each district and township who reach the chosen facilities in time.",
    },
    "cov_types": {"zh": "设施类型", "en": "Facility types"},
    "cov_target": {"zh": "目标人群", "en": "Target group"},
    "target_pop_total": {"zh": "全部人口", "en": "Everyone"},
    "target_pop_60plus": {"zh": "60岁及以上", "en": "Aged 60+"},
    "target_pop_0_3": {"zh": "0–3岁儿童", "en": "Children 0–3"},
    "cov_budget": {"zh": "时间(分钟)", "en": "Budget (minutes)"},
    "defaults_of_type": {
        "zh": "默认按{type}:{mode} {minutes}。选择类型时自动设置,可再修改。",
        "en": "Defaults for {type}: {mode}, {minutes}; set when the type is chosen, and yours to change.",
    },
    "defaults_differ": {
        "zh": "所选类型的默认出行方式或时间不同,按第一个类型设置。",
        "en": "The chosen types have different defaults; those of the first one are used.",
    },
    "cov_district": {"zh": "旗区", "en": "District"},
    "all_districts": {"zh": "全市", "en": "Whole city"},
    "cov_layers": {"zh": "图层", "en": "Layers"},
    "layer_isochrones": {"zh": "等时圈", "en": "Isochrone bands"},
    "layer_gaps": {"zh": "未覆盖人口(六边形)", "en": "Uncovered people (hexagons)"},
    "layer_choropleth": {"zh": "旗区覆盖率", "en": "District covered share"},
    "layer_facilities": {"zh": "设施", "en": "Facilities"},
    "model_straight": {
        "zh": "出行模型:直线距离 × 绕行系数 {detour}({mode},{speed:.0f} 米/分钟),未加载路网。",
        "en": "Travel model: straight line × detour {detour} ({mode}, {speed:.0f} m/min), "
        "no road network loaded.",
    },
    "model_fallback": {
        "zh": "出行模型:直线距离 × 绕行系数 {detour}({mode},{speed:.0f} 米/分钟)。未使用已导入的路网:{reason}",
        "en": "Travel model: straight line × detour {detour} ({mode}, {speed:.0f} m/min). "
        "The imported road network was not used: {reason}",
    },
    "model_network": {
        "zh": "出行模型:路网 {name}(SHA-256 {sha}…),{mode}。",
        "en": "Travel model: road network {name} (SHA-256 {sha}…), {mode}.",
    },
    "metric_covered": {"zh": "{group}覆盖率", "en": "{group} covered"},
    "metric_people": {"zh": "{covered:,} / {total:,} 人", "en": "{covered:,} of {total:,} people"},
    "no_types": {"zh": "请至少选择一种设施类型。", "en": "Choose at least one facility type."},
    "cov_no_facilities": {
        "zh": "没有运营中的{types},所以覆盖率为 0。",
        "en": "There is no open {types}, so nobody is covered.",
    },
    "cov_none_in_district": {
        "zh": "{district}没有运营中的所选设施;覆盖只来自旗区外的设施。",
        "en": "{district} has no open facility of the chosen types; any coverage comes from facilities "
        "outside it.",
    },
    "gaps_caption": {
        "zh": "未覆盖的{group}最多的居住网格(约 0.1 平方公里),按乡镇街道和聚落命名。",
        "en": "Populated cells (about 0.1 km²) with the most {group} not covered, named by township and "
        "settlement.",
    },
    "no_cells": {
        "zh": "没有需求单元数据(datasets/population_cells.csv)。",
        "en": "No demand cells found (datasets/population_cells.csv).",
    },
    "legend_bands": {"zh": "可达时间", "en": "Travel time"},
    "legend_gaps": {"zh": "未覆盖的{group}(人/平方公里)", "en": "{group} not covered (per km²)"},
    "density_unit": {"zh": "人/平方公里", "en": "per km²"},
    "legend_share": {"zh": "覆盖率", "en": "Covered share"},
    "map_agg_title": {"zh": "地图显示汇总", "en": "The map shows aggregates"},
    "map_agg_colon": {"zh": ":", "en": ":"},
    "map_agg_facilities": {
        "zh": "设施:{n:,} 个按 H3 {res} 级网格合并为 {drawn:,} 个圆点(圆点越大设施越多,悬停可见数量)。",
        "en": "Facilities: {n:,} merged into {drawn:,} circles by H3 resolution-{res} cell (larger circles "
        "hold more; hover for the counts).",
    },
    "map_agg_gaps": {
        "zh": "未覆盖人口:{n:,} 个 {src} 级网格汇总为 {drawn:,} 个 {res} 级六边形,人数不变。",
        "en": "Uncovered people: {n:,} resolution-{src} cells summed into {drawn:,} resolution-{res} "
        "hexagons, every person kept.",
    },
    "map_agg_isochrones": {
        "zh": "等时圈按约 {m:,.0f} 米简化。",
        "en": "Isochrone bands simplified to about {m:,.0f} m.",
    },
    "map_agg_counted": {
        "zh": "上方和表格中的数字均按全部设施和网格计算。",
        "en": "The figures above and in the tables count every facility and cell.",
    },
    "map_group_tip": {"zh": "{n:,} 个设施:{types}", "en": "{n:,} facilities: {types}"},
    "map_group_join": {"zh": "、", "en": ", "},
    "map_group_mixed": {"zh": "多种类型", "en": "Several types"},
    "minutes_label": {"zh": "{minutes:g} 分钟", "en": "{minutes:g} min"},
    "people_unit": {"zh": "人", "en": "people"},
    "tab_districts": {"zh": "按旗区", "en": "By district"},
    "tab_townships": {"zh": "按乡镇", "en": "By township"},
    "tab_fca": {"zh": "供需比(2SFCA)", "en": "Supply (2SFCA)"},
    "tab_gaps": {"zh": "主要缺口", "en": "Top gaps"},
    "chart_title": {"zh": "各旗区覆盖率", "en": "Covered share by district"},
    "fca_note": {
        "zh": "两步移动搜索法(2SFCA,距离衰减):每千名目标人口可及的容量;"
        "“覆盖但超负荷”指在时间范围内但人均容量低于标准的人口。"
        "参考:托位 4.5(国家)/ 4.86(鄂尔多斯2024)每千人。",
        "en": "Two-step floating catchment (2SFCA, distance decay): capacity within reach per 1,000 "
        "target people; "
        "“oversubscribed” counts people within the budget whose share of capacity is below the standard. "
        "Nursery benchmarks: 4.5 (national) and 4.86 (Ordos 2024) places per 1,000 residents.",
    },
    "download_csv_zip": {"zh": "下载表格(CSV,含说明)", "en": "Download tables (CSV with a README)"},
    "download_context_note": {
        "zh": "下载的文件都注明数据版本、出行模型和时间;数据为模拟时注明模拟。",
        "en": "Every download states the data version, travel model and time budget, and which data are "
        "modelled.",
    },
    "download_xlsx": {"zh": "下载表格(XLSX)", "en": "Download tables (XLSX)"},
    "city_total": {"zh": "全市合计", "en": "City total"},
    # --- coverage table columns (data columns are named by geo.texts.column_label)
    "col_adcode": {"zh": "区划代码", "en": "Adcode"},
    "col_name": {"zh": "名称", "en": "Name"},
    "col_district": {"zh": "旗区", "en": "District"},
    "col_lon": {"zh": "经度", "en": "Longitude"},
    "col_lat": {"zh": "纬度", "en": "Latitude"},
}


# Choice widgets whose option labels change with the language. Streamlit keeps such a widget's value as
# its label, so after a switch the browser would still hold the old label (Chinese chips in English, a
# radio with nothing selected); ``keep_choices`` sends each value again, labelled in the new language.
# The plan page's keys are ui.plan_ui.PLAN_* (that module imports this one).
RELABELLED_KEYS: Final[tuple[str, ...]] = (
    state.BASEMAP,
    state.MAP_CATEGORIES,
    state.MAP_TYPES,
    state.FIND_HOW,
    state.FIND_PICK,
    state.FIND_CRS,
    state.FIND_NEED,
    state.FIND_MODE,
    state.COV_TYPES,
    state.COV_TARGET,
    state.COV_MODE,
    state.COV_BUDGET,
    state.COV_DISTRICT,
    state.COV_LAYERS,
    state.DATA_CRS,
    state.DATA_MODE,
    state.DATA_VIEW_VERSION,
    "plan_type",
    "plan_target",
    "plan_mode",
    "plan_budget",
    "plan_solver",
    "plan_add_type",
    "plan_compare",
    "plan_report_scope",
    "plan_report_format",
    "plan_section",
)


def keep_choices() -> None:
    """Language-switch callback: write back the value of every relabelled widget of this session.

    A value written to session state is sent to the browser with the widget, labelled in the language
    of the run that follows, so every choice stays and reads in the new language.
    """
    for key in RELABELLED_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


_override = threading.local()


@contextmanager
def fixed_lang(lang: str) -> Iterator[None]:
    """Use ``lang`` in this thread (deferred downloads run outside the script, without session state)."""
    previous = getattr(_override, "lang", None)
    _override.lang = lang
    try:
        yield
    finally:
        _override.lang = previous


def current_lang() -> str:
    """The language chosen in the sidebar (Chinese until the user switches)."""
    lang = getattr(_override, "lang", None) or st.session_state.get(state.LANG, DEFAULT_LANG)
    return lang if lang in LANGUAGES else DEFAULT_LANG


def t(key: str, **fmt: object) -> str:
    """The catalog string ``key`` in the current language, formatted with ``fmt``.

    A missing key shows as ``⟦key⟧`` so it is visible in the page (and the i18n test fails).
    """
    entry = CATALOG.get(key)
    if entry is None:
        return f"⟦{key}⟧"
    text = entry.get(current_lang()) or entry[DEFAULT_LANG]
    return text.format(**fmt) if fmt else text


def tn(key: str, n: int, **fmt: object) -> str:
    """The catalog string ``key`` for a count ``n``: the ``<lang>_one`` form when ``n`` is 1, if any.

    Chinese has no plural; English says "1 place" but "2 places".
    """
    entry = CATALOG.get(key)
    if entry is None:
        return f"⟦{key}⟧"
    lang = current_lang()
    text = (entry.get(f"{lang}_one") if n == 1 else None) or entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(n=n, **fmt)


def type_name(code: str) -> str:
    """The label of a facility type in the current language."""
    ftype = FACILITY_TYPES.get(code)
    if ftype is None:
        return code
    return ftype.zh if current_lang() == "zh" else ftype.en


def category_name(code: str) -> str:
    """The label of a facility category in the current language."""
    cat = CATEGORIES.get(code)
    if cat is None:
        return code
    return cat.zh if current_lang() == "zh" else cat.en


def labels_for(options: Iterable[Any], label: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget ``format_func`` whose labels are fixed now, in the current language.

    Streamlit (and AppTest) may call a ``format_func`` outside the script run, where the session's
    language cannot be read; fixing the labels up front keeps them right.
    """
    labels = {option: label(option) for option in options}
    return lambda option: labels.get(option, str(option))
