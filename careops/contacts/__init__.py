"""Contacts: customers, found by email or phone, one conversation each."""
