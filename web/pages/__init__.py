"""The web app's pages (server-rendered, Russian and English), one router per area."""
