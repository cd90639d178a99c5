"""Black-Scholes call and put prices, written as plain NumPy (the Weld paper's workload).

The benchmark runs this file twice: as it is, and with its first import line changed to
``import weldpy.numpy as np``; nothing else differs."""
import numpy as np
from scipy.special import erf

INV_SQRT2 = 0.7071067811865476


def black_scholes(price, strike, t, rate, vol):
    price, strike, t = np.asarray(price), np.asarray(strike), np.asarray(t)
    rsig = rate + vol * vol * 0.5
    vol_sqrt = vol * np.sqrt(t)
    d1 = (np.log(price / strike) + rsig * t) / vol_sqrt
    d2 = d1 - vol_sqrt
    d1 = 0.5 + 0.5 * erf(d1 * INV_SQRT2)
    d2 = 0.5 + 0.5 * erf(d2 * INV_SQRT2)
    e_rt = np.exp(-rate * t)
    call = price * d1 - e_rt * strike * d2
    put = e_rt * strike * (1.0 - d2) - price * (1.0 - d1)
    return call, put
