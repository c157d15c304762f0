"""Every bad use of ``python -m geo`` this suite knows: exit 1, what is wrong in Chinese **and** English
on stderr, no traceback.

The table :data:`BAD` is the place to add a command's bad uses: one line each, ``bad(args…, zh=…,
en=…)`` where ``zh`` and ``en`` are phrases of the expected message in each language. Arguments may
name files prepared by :func:`files` as ``{dir}/NAME`` and the first published facility as ``{facility}``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from geo.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}\b")
LONG_PASSWORD = "p" * 257


@dataclass(frozen=True)
class Bad:
    """One bad use: the arguments and a phrase of the message in each language."""

    args: tuple[str, ...]
    zh: str
    en: str
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    not_in_err: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return " ".join(self.args)[:80]


def bad(
    *args: str,
    zh: str,
    en: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    not_in_err: tuple[str, ...] = (),
) -> Bad:
    return Bad(tuple(args), zh, en, stdin, env or {}, not_in_err)


COV = ("coverage", "--type", "community_station")
ISO = ("isochrones", "--lon", "109.78", "--lat", "39.61")
SUG = ("suggest", "--type", "community_station")
# A proxy on a closed local port: requests fail at once, as on a machine without internet.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}

# fmt: off
BAD: list[Bad] = [
    # coverage
    *[bad(*COV, "--minutes", m, zh="分钟", en="minutes") for m in ("-5", "nan", "inf", "0", "1e9")],
    bad("coverage", "--type", "no_such_type", "--minutes", "15", zh="未知设施类型", en="unknown facility type"),
    bad("coverage", "--type", ",", "--minutes", "15", zh="请给出设施类型", en="give at least one facility type"),
    # isochrones
    bad("isochrones", "--lon", "109.78", zh="--lat", en="needs --lat"),
    bad("isochrones", "--lon", "500", "--lat", "39.61", zh="经度", en="longitude"),
    bad("isochrones", "--lon", "nan", "--lat", "39.61", zh="经度", en="longitude"),
    bad("isochrones", "--lon", "39.61", "--lat", "109.78", zh="纬度", en="latitude"),
    bad("isochrones", "--lon", "0", "--lat", "0", zh="不在鄂尔多斯市范围内", en="outside Ordos"),
    bad("isochrones", "--lon", "116.40", "--lat", "39.90", zh="不在鄂尔多斯市范围内", en="outside Ordos"),
    *[bad(*ISO, "--minutes", m, zh="分钟", en="minutes") for m in ("-5", "nan", "inf", "0", "5,-1", "5,1e9")],
    bad(*ISO, "--minutes", "abc", zh="逗号分隔", en="separated by commas"),
    bad(*ISO, "--minutes", ",", zh="逗号分隔", en="separated by commas"),
    bad("isochrones", "--facility", "NO-SUCH-ID", zh="没有编号", en="no published facility"),
    bad("isochrones", "--facility", "{facility}", "--lat", "39.6", zh="--lat", en="goes with --lon"),
    bad(*ISO, "--out", "{dir}/no_such_folder/x.geojson", zh="无法读写文件", en="Cannot read or write"),
    # report
    bad("report", "--scope", "ordos", "--type", "nursery", "--lang", "zh", "--format", "html", "--out", "{dir}/r.html", zh="行政区划代码", en="6-digit adcode"),
    *[bad("report", "--scope", "city", "--type", "nursery", "--minutes", m, "--lang", "zh", "--format", "html", "--out", "{dir}/r.html", zh="分钟", en="minutes") for m in ("-5", "nan", "0")],
    bad("report", "--scope", "city", "--type", "nursery", "--new", "-1", "--lang", "zh", "--format", "html", "--out", "{dir}/r.html", zh="不能为负", en="must be 0 or more"),
    bad("report", "--scope", "city", "--type", "nursery", "--lang", "zh", "--format", "html", "--out", "{dir}/no_such_folder/r.html", zh="不存在", en="does not exist"),
    # suggest
    *[bad(*SUG, "--new", n, "--minutes", "15", zh="新站点个数", en="new sites") for n in ("0", "-3")],
    *[bad(*SUG, "--new", "2", "--minutes", m, zh="分钟", en="minutes") for m in ("-5", "nan", "inf", "0")],
    bad("suggest", "--type", "community_station,nursery", "--new", "2", "--minutes", "15", zh="一种设施类型", en="one facility type"),
    bad(*SUG, "--new", "2", "--minutes", "15", "--time-limit", "0", zh="秒", en="seconds"),
    bad(*SUG, "--new", "2", "--minutes", "15", "--min-separation-m", "-5", zh="米", en="metres"),
    bad(*SUG, "--new", "2", "--minutes", "15", "--min-separation-m", "nan", zh="米", en="metres"),
    # network import: every way a road file can be wrong
    bad("network", "import", "{dir}/nope.osm", zh="找不到路网文件", en="Cannot find the road network file"),
    bad("network", "import", "{dir}/roads.txt", zh="不支持的路网文件", en="Unsupported road network file"),
    bad("network", "import", "{dir}/folder.osm", zh="不是普通文件", en="not a regular file"),
    bad("network", "import", "{dir}/pipe.osm", zh="不是普通文件", en="not a regular file"),
    bad("network", "import", "/dev/zero", zh="不是普通文件", en="not a regular file"),
    bad("network", "import", "{dir}/bad.osm", zh="文件已损坏", en="cannot read OSM file"),
    bad("network", "import", "{dir}/empty.osm", zh="文件已损坏", en="cannot read OSM file"),
    bad("network", "import", "{dir}/noroads.osm", zh="没有可用的道路", en="no usable roads"),
    bad("network", "import", "{dir}/bad.osm.pbf", zh="文件已损坏", en="cannot read OSM file"),
    bad("network", "import", "{dir}/bad.graphml", zh="文件已损坏", en="cannot read GraphML file"),
    bad("network", "import", "{dir}/noxy.graphml", zh="缺少 x/y 坐标", en="no x/y coordinates"),
    # network download without internet: advice in both languages, not a raw connection error
    bad("network", "download", "--place", "康巴什区, 鄂尔多斯市", zh="无法连接 OpenStreetMap", en="Cannot reach OpenStreetMap", env=OFFLINE, not_in_err=("Max retries", "HTTPSConnectionPool", "urllib3")),
    bad("network", "download", "--bbox", "109.7,39.5,109.9,39.7", zh="无法连接 OpenStreetMap", en="Check the internet connection", env=OFFLINE, not_in_err=("Max retries", "HTTPSConnectionPool", "urllib3")),
    # facilities, history, restore
    bad("facilities", "--version", "99", zh="版本 99 不存在", en="Version 99 does not exist"),
    bad("restore", "99", zh="版本 99 不存在", en="Version 99 does not exist"),
    bad("--database", "nosuchdialect://x", "history", zh="数据库地址无效", en="invalid database URL"),
    # the database
    bad("--database", "sqlite:///{dir}/no_such_folder/x.db", "db", "status", zh="文件夹不存在", en="does not exist"),
    bad("--database", "postgresql://u@127.0.0.1:9/x", "db", "upgrade", zh="无法连接数据库服务器", en="Cannot reach the database server"),
    bad("--database", "{dir}/bad.osm", "db", "upgrade", zh="数据库地址无效", en="invalid database URL"),
    # import
    bad("import", "{dir}/nope.csv", zh="无法读取", en="Cannot read"),
    bad("import", "{dir}/errors.csv", zh="有错误,未做任何更改", en="nothing was changed"),
    bad("import", "{dir}/errors.csv", "--dry-run", zh="容量", en="capacity"),
    bad("import", "{dir}/ok.csv", "--report", "{dir}/no_such_folder/r.csv", zh="无法读写文件", en="Cannot read or write"),
    # quality
    bad("quality", "--max-age-months", "-1", zh="至少为 1", en="must be at least 1"),
    bad("quality", "--as-of", "2026-13-45", zh="无法识别", en="Cannot read the date"),
    bad("quality", "--version", "99", zh="版本 99 不存在", en="Version 99 does not exist"),
    # nearby
    bad("nearby", "--place", "xyzzyqq", "--type", "elderly", zh="没有找到", en="Nothing found"),
    bad("nearby", "--lon", "0", "--lat", "0", "--type", "elderly", zh="不在鄂尔多斯市范围内", en="outside Ordos"),
    bad("nearby", "--lon", "nan", "--lat", "39.8", "--type", "elderly", zh="不在鄂尔多斯市范围内", en="outside Ordos"),
    bad("nearby", "--lon", "109.9", "--type", "elderly", zh="--lat", en="needs --lat"),
    bad("nearby", "--place", "康巴什", "--type", "bogus", zh="未知的服务类型", en="Unknown service type"),
    bad("nearby", "--place", "康巴什", "--type", "elderly", "--limit", "0", zh="正整数", en="positive whole number"),
    bad("nearby", "--place", "康巴什", "--type", "elderly", "--at", "bad", zh="--at 应为", en="--at must look like"),
    bad("nearby", "--place", "康巴什", "--type", "elderly", "--network-dir", "{dir}/no_such_folder", zh="不存在", en="does not exist"),
    bad(*COV, "--minutes", "15", "--network-dir", "{dir}/no_such_folder", zh="不存在", en="does not exist"),
    # demand: every way a population file can be wrong
    bad("demand", "import", "{dir}/nope.tif", zh="无法读取", en="Cannot read"),
    bad("demand", "import", "/dev/zero", zh="不是普通文件", en="not a regular file"),
    bad("demand", "import", "{dir}/pipe.osm", zh="不是普通文件", en="not a regular file"),
    bad("demand", "import", "{dir}/nocount.csv", zh="找不到人口列", en="No population column"),
    bad("demand", "import", "{dir}/roads.txt", zh="经度和纬度列", en="longitude and latitude columns"),
    bad("demand", "import", "{dir}/nocount.csv", "--crs", "EPSG:999999", zh="无法识别", en="Unknown coordinate system"),
    bad("demand", "import", "{dir}/nocount.csv", "--weights", "{dir}/nope.csv", zh="无法读取", en="Cannot read"),
    bad("demand", "import", "{dir}/bad.geojson", zh="无法读取", en="cannot be read", not_in_err=("/vsimem/",)),
    bad("demand", "restore", "99", zh="还没有导入过需求数据", en="No demand has been imported"),
    # boundaries
    bad("boundaries", "import", "--level", "township", "{dir}/nope.geojson", zh="无法读取", en="Cannot read"),
    bad("boundaries", "import", "--level", "township", "/dev/zero", zh="不是普通文件", en="not a regular file"),
    bad("boundaries", "import", "--level", "township", "{dir}/bad.geojson", zh="无法读取", en="cannot be read", not_in_err=("/vsimem/", "It might help")),
    bad("boundaries", "import", "--level", "township", "{dir}/empty.geojson", zh="找不到乡镇名称列", en="No township name column"),
    bad("boundaries", "restore", "99", zh="边界版本 99 不存在", en="boundary version 99 does not exist"),
    # saved analyses
    bad("analyses", "export", zh="还没有保存的分析", en="No saved analysis yet"),
    bad("analyses", "export", "99", zh="分析 99 不存在", en="Analysis 99 does not exist"),
    bad("analyses", "delete", "99", zh="分析 99 不存在", en="Analysis 99 does not exist"),
    # users
    bad("users", "add", "a b", "--role", "editor", "--password-stdin", stdin="a long password\n", zh="用户名", en="user name"),
    bad("users", "add", "li", "--role", "editor", "--password-stdin", stdin="short\n", zh="8–256 个字符", en="8 to 256 characters"),
    bad("users", "add", "li", "--role", "editor", "--password-stdin", stdin="\n", zh="密码", en="password"),
    bad("users", "add", "li", "--role", "editor", "--password-stdin", stdin=" " * 12 + "\n", zh="空白", en="spaces"),
    bad("users", "add", "wang.xiaoli", "--role", "editor", "--password-stdin", stdin="WANG.XIAOLI\n", zh="用户名", en="user name"),
    bad("users", "add", "li", "--role", "editor", "--password-stdin", stdin=LONG_PASSWORD + "\n", zh="256", en="256"),
    bad("users", "add", "li", "--role", "editor", stdin="", zh="没有终端", en="No terminal"),
    bad("users", "remove", "nobody", zh="不存在", en="There is no user"),
    bad("users", "password", "nobody", "--password-stdin", stdin="a long password\n", zh="不存在", en="There is no user"),
    bad("users", "unlock", zh="二选一", en="one of the two"),
    bad("users", "unlock", "li", "--address", "192.0.2.1", zh="二选一", en="one of the two"),
    bad("users", "unlock", "--address", "not-an-ip", zh="不是 IP 地址", en="not an IP address"),
    bad("users", "failures", "--hours", "-1", zh="小时", en="hours"),
    bad("users", "failures", "--limit", "0", zh="行数", en="lines"),
]
# fmt: on


def _has_both_languages(stderr: str) -> bool:
    text = stderr.replace("错误 / error:", "")
    return bool(CJK.search(text)) and len(ENGLISH_WORDS.findall(text)) >= 3


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bad (and one good) input files in one folder."""
    import os

    from geo import io as gio

    folder = tmp_path_factory.mktemp("bad_inputs")
    osm_head = '<?xml version="1.0"?><osm version="0.6">'
    (folder / "bad.osm").write_text("not xml")
    (folder / "empty.osm").write_bytes(b"")
    (folder / "noroads.osm").write_text(osm_head + '<node id="1" lat="39.8" lon="109.9"/></osm>')
    (folder / "bad.osm.pbf").write_bytes(b"garbage")
    (folder / "bad.graphml").write_text("<graphml>")
    (folder / "noxy.graphml").write_text(
        '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<graph edgedefault="directed"><node id="1"/><node id="2"/><edge source="1" target="2"/></graph></graphml>'
    )
    (folder / "roads.txt").write_text("x")
    (folder / "bad.geojson").write_text("not json")
    (folder / "empty.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    (folder / "nocount.csv").write_text("lon,lat,note\n109.9,39.8,abc\n")
    (folder / "folder.osm").mkdir()
    os.mkfifo(folder / "pipe.osm")
    header = "编号,名称,类别,类型,行政区划代码,经度,纬度,容量"
    (folder / "errors.csv").write_bytes(
        f"{header}\nX-1,甲,养老,日间照料中心,150602,109.95,39.81,-4\n".encode("gb18030")
    )
    sample = gio.read_facilities_csv(gio.DATASETS_DIR / gio.FACILITIES_SAMPLE_FILE).head(3)
    (folder / "ok.csv").write_bytes(gio.facilities_csv_bytes(sample))
    return folder


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One database for the whole table (no case changes it): its URL and a published facility_id."""
    from geo.store import open_store

    url = f"sqlite:///{tmp_path_factory.mktemp('cli_errors') / 'carecircle.db'}"
    store = open_store(url)
    facility = str(store.facilities()["facility_id"].iloc[0])
    store.engine.dispose()
    return url, facility


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_bad_use_exits_1_with_both_languages_on_stderr(
    case: Bad,
    files: Path,
    cli_db: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, facility = cli_db
    monkeypatch.setenv("DATABASE_URL", url)
    args = [a.replace("{dir}", str(files)).replace("{facility}", facility) for a in case.args]
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if case.stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(case.stdin))
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err, err
    assert case.zh in err, err
    assert case.en in err, err
    assert _has_both_languages(err), err
    for needle in case.not_in_err:
        assert needle not in err, err


def test_the_table_covers_every_command_group() -> None:
    from geo.cli import COMMAND_MODULES, build_parser

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    covered = {c.args[0] if not c.args[0].startswith("--") else c.args[2] for c in BAD}
    # Commands that cannot fail on their input: nothing to walk.
    no_bad_input = {"init", "history"}
    assert commands - no_bad_input <= covered, sorted(commands - no_bad_input - covered)
    assert len(COMMAND_MODULES) >= 4
