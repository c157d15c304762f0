"""Test data shared by the AppTest and browser tests: a hostile facility published into a test store."""

from __future__ import annotations

import pandas as pd

from geo.store import FacilityStore

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_ADDRESS = "`${alert(2)}`</script><script>alert(3)</script>"
HOSTILE_NOTE = "test: hostile facility name"
# Near the seat of Kangbashi, where the finder tests put the resident.
HOME_LONLAT = (109.7816, 39.6086)


def publish_hostile(store: FacilityStore) -> None:
    """Publish the current facilities plus one nursery whose name and address try to run script."""
    current = store.facilities()
    row = current[current["type"] == "nursery"].iloc[[0]].copy()
    row["facility_id"] = "XSS-0001"
    row["name"] = HOSTILE_NAME
    row["address"] = HOSTILE_ADDRESS
    row["lon"], row["lat"] = HOME_LONLAT[0] + 0.002, HOME_LONLAT[1] + 0.001
    row["status"] = "open"
    store.publish(
        pd.concat([current, row], ignore_index=True),
        user_name="test",
        action="import",
        base_version=store.current_version(),
        note=HOSTILE_NOTE,
    )
