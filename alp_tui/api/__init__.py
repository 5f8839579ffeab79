"""The ALP.COM v3 API: async client, typed models, wire enums and errors. No UI here."""
