"""Redis as the system of record, the store, the worker, faults."""
