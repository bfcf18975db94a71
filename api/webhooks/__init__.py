"""Outbound webhooks: per-org endpoints, Standard Webhooks signatures, delivery with retries."""
