"""Customers: records and their rules, the address book, lists, matching, numbers, vendor search."""
