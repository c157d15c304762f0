"""Which travel model runs: the road network when an imported one covers the area, else straight lines.

:func:`default_model` is the one place that chooses. When it passes over an imported network it says
why: the straight-line model it returns carries a :class:`geo.travel.ModelFallback` (bilingual), which
its ``describe()`` block, the CLI's stderr note and the app's model note all show.

This module imports both models; :mod:`geo.travel` (the straight-line model and the shared types) and
:mod:`geo.network` (the network model) do not import each other's models, so there is no cycle.
"""

from __future__ import annotations

from pathlib import Path

from geo.crs import ORDOS_BOUNDS
from geo.travel import Mode, ModelFallback, StraightLineModel, TravelModel

__all__ = ["default_model"]


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _bbox_text(bbox: tuple[float, float, float, float]) -> str:
    return "{:.4f}, {:.4f} – {:.4f}, {:.4f}".format(*bbox)


def default_model(
    mode: Mode,
    *,
    network_dir: Path | None,
    bounds: tuple[float, float, float, float] | None = ORDOS_BOUNDS,
) -> TravelModel:
    """The road-network model when a saved network covers the area, else the straight-line one.

    Parameters
    ----------
    mode
        The travel mode.
    network_dir
        Folder where ``python -m geo network import`` saves networks; ``None`` means no network.
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` of the demand, WGS84. The newest saved network
        whose extent overlaps it is used, so a network of another city is never picked by mistake;
        ``None`` takes the newest network whatever its extent.

    Returns
    -------
    TravelModel
        ``NetworkTravelModel`` or ``StraightLineModel``; its ``name`` says which one runs. A
        straight-line model returned although the folder holds network files has ``fallback`` set
        (and ``describe()["fallback"]``): which network was passed over and why.

    Raises
    ------
    DataError
        When the chosen network's file cannot be loaded or has no road for the mode's profile.
    """
    if network_dir is None or not Path(network_dir).is_dir():
        return StraightLineModel(mode)
    # Imported lazily: the straight-line path never needs the network modules' dependencies.
    from geo.network_files import list_networks, load_network, load_profile_index, save_profile_index

    infos = list_networks(network_dir)
    for info in infos:
        if info.path is not None and (bounds is None or _overlaps(info.bbox, bounds)):
            from geo.network_model import NetworkTravelModel

            network = load_network(info.path)
            index = load_profile_index(info.path, network, mode.network_profile)
            model = NetworkTravelModel(network, mode, index=index)
            if index is None:  # built now: keep it for the next command
                save_profile_index(info.path, model.profile_index)
            return model
    if infos and bounds is not None:
        newest = infos[0]
        return StraightLineModel(
            mode,
            fallback=ModelFallback(
                code="no_overlap",
                network=newest.name,
                zh=(
                    f"已导入的路网“{newest.name}”(范围 {_bbox_text(newest.bbox)})与需求区域"
                    f"(范围 {_bbox_text(bounds)})不重叠,未使用路网,改用直线距离模型"
                ),
                en=(
                    f"the imported road network {newest.name!r} (extent {_bbox_text(newest.bbox)}) does not "
                    f"overlap the demand area (extent {_bbox_text(bounds)}); it was not used, straight-line "
                    "times were used instead"
                ),
            ),
        )
    # Network files are <sha256>.npz; <sha256>.<profile>.index.npz and temporary files are not.
    stray = sorted(p.name for p in Path(network_dir).glob("*.npz") if "." not in p.stem)
    if stray:
        listed = ", ".join(stray[:3]) + (f" (+{len(stray) - 3})" if len(stray) > 3 else "")
        return StraightLineModel(
            mode,
            fallback=ModelFallback(
                code="unreadable",
                network=listed,
                zh=(
                    f"{network_dir} 中的路网文件无法读取(可能来自旧版本):{listed};"
                    "请重新导入 OSM 文件。现改用直线距离模型"
                ),
                en=(
                    f"the road network files in {network_dir} cannot be read (perhaps from an older "
                    f"version): {listed}; re-import the OSM file. Straight-line times were used instead"
                ),
            ),
        )
    return StraightLineModel(mode)
