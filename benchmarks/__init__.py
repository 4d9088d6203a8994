"""Speed, memory and accuracy figures for `callintel process`; run by hand, never by CI (see README.md)."""
