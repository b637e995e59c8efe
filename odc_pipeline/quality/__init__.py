"""Quality gates on the published warehouse (Great Expectations), with Data Docs for people."""
