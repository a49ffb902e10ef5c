"""The ways in: the Python API, the %bizml magics, the bizml command, templates and the demo.

Each is a thin layer over functions of the layers below."""
