"""Rules of Indonesian legislative elections, as plain functions: who gets the seats."""
