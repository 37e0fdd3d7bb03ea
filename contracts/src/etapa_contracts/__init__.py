"""Etapa's public contracts: what a lab, the console or another team installs.

- ``etapa_contracts.events``: the events on ``etapa.events`` (names, payloads, routing keys);
- ``etapa_contracts.topology``: the exchange and queue names;
- ``etapa_contracts.sms_template``: the SMS template rules (placeholders, GSM-7, segments).

It depends on pydantic only and imports nothing of the services or of their chassis
(``shared``): import-linter holds that.
"""
