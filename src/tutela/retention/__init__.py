"""Retention: erase what no purpose may keep any longer."""
