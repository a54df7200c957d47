"""The server-rendered Dutch web interface: thin routes over the same services as the API."""
