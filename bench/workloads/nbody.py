"""An n-body step (all-pairs gravity, then a velocity and position update), written as plain
NumPy (the Weld paper's 2-D workload): N x N differences, forces and their sums per body.

The benchmark runs this file twice: as it is, and with its first import line changed to
``import weldpy.numpy as np``; nothing else differs."""
import numpy as np

G = 6.674e-11
EPS2 = 1e-2


def nbody_step(x, y, z, vx, vy, vz, mass, dt):
    x, y, z = np.asarray(x), np.asarray(y), np.asarray(z)
    dx = x[np.newaxis, :] - x[:, np.newaxis]
    dy = y[np.newaxis, :] - y[:, np.newaxis]
    dz = z[np.newaxis, :] - z[:, np.newaxis]
    r2 = dx * dx + dy * dy + dz * dz + EPS2
    inv = G * mass[np.newaxis, :] / (r2 * np.sqrt(r2))
    ax = (dx * inv).sum(axis=1)
    ay = (dy * inv).sum(axis=1)
    az = (dz * inv).sum(axis=1)
    vx = vx + ax * dt
    vy = vy + ay * dt
    vz = vz + az * dt
    return x + vx * dt, y + vy * dt, z + vz * dt, vx, vy, vz
