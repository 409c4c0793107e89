"""Questions asked of every history at once: scans for a condition on state (:func:`scan`) and the events
today's rules would refuse (:func:`rule_change_impact`)."""
from esengine.scans.impact import Impact, rule_change_impact
from esengine.scans.scan import Scan, scan, time_travel_link

__all__ = ["Impact", "Scan", "rule_change_impact", "scan", "time_travel_link"]
