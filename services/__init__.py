"""What the web app and the command line do with stored calls: accounts, approvals, overrides, team views and
exports, the review queue, AI quality, CRM connections and operator actions on a call. Stages and workers never
need these; they sit above `pipeline` (settings, storage, database, run_stage) and below the entry points."""
