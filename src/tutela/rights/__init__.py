"""Data-subject rights: requests, their legal deadlines and identity verification."""
