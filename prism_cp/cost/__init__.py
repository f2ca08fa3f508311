"""Cost models: what an op costs on a core, estimated or measured."""
