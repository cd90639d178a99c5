"""Haversine distances (miles) from many points to one, written as plain NumPy (the Weld
paper's workload).

The benchmark runs this file twice: as it is, and with its first import line changed to
``import weldpy.numpy as np``; nothing else differs."""
import numpy as np

MILES = 3959.0


def haversine(lat1, lon1, lat2=40.671, lon2=-73.985):
    lat1, lon1 = np.asarray(lat1), np.asarray(lon1)
    lat1, lon1 = np.deg2rad(lat1), np.deg2rad(lon1)
    lat2, lon2 = np.deg2rad(lat2), np.deg2rad(lon2)
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    c = 2 * np.arcsin(np.sqrt(a))
    return MILES * c
