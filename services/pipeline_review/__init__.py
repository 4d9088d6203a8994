"""The pipeline review: KPIs, the forecast, daily snapshots, the waterfall and the forecast trend."""
