"""The `callintel` command and embedded mode's driver: the composition root, which nothing else imports."""
