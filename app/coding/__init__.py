"""Coding the material: the coding view and its services, the JSON API, retrieval and search,
matrices, and agreement between coders.
"""
