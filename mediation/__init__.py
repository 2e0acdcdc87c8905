"""The mediation domain: models, storage, audit, access policy, services and the command line."""
