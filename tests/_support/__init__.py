"""Test harness: fixtures' helpers, servers, browsers and labs the tests drive; no tests here."""
