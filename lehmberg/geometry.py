"""The geometry of one request: the clouds, the probe and the dipole (SPEC §1, §9).

Lengths are in units of 1/k_L.  A :class:`Geometry` is validated once, when it is made, and
every estimator and every command takes one.  ``Geometry(kL=…, kR=…)`` is the paper's set-up
(two identical isotropic clouds, probe along ẑ, a real dipole); ``Geometry.of(Cloud(…), …)``
describes any other: clouds of their own shape, sizes along their own axes, centres, probe
waists and atom numbers, any probe direction and a complex dipole (SPEC §9).
"""

from __future__ import annotations

import dataclasses
import math

from . import _checks

__all__ = ["Geometry", "Cloud", "SHAPES", "CLOUD_SHAPES", "CS_D2_WAVELENGTH", "read_geometry",
           "geometry_from_dict"]

#: Cloud shapes of the paper's shorthand: the Gaussian (per-axis standard deviation L/√2) and a
#: uniform cube of side L.
SHAPES = ("gaussian", "cube")
#: Shapes of a :class:`Cloud` (SPEC §9): Gaussian, uniform box, uniform cylinder.
CLOUD_SHAPES = ("gaussian", "box", "cylinder")
#: Vacuum wavelength of the Cs D2 line in metres (Steck, Cesium D Line Data), the default probe.
CS_D2_WAVELENGTH = 852.347e-9

_IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
_Z = (0.0, 0.0, 1.0)
_UNSET = object()  # waist not given (None means: no waist)


@dataclasses.dataclass(frozen=True)
class Cloud:
    """One cloud of atoms (SPEC §9), lengths in units of 1/k_L.

    Parameters
    ----------
    shape : {"gaussian", "box", "cylinder"}
        Gaussian: covariance Q diag(L_i²/2) Qᵀ (per-axis standard deviation L_i/√2, so equal
        L_i = L is the paper's cloud); box: uniform, sides L_i; cylinder: uniform, diameter
        L₁ = L₂, length L₃ along axis 3.
    kL : float or 3 floats
        k_L L₁, k_L L₂, k_L L₃ along the cloud's axes (one number: all equal), in [1e-3, 1e7].
    axes : 3×3
        Rows: the cloud's axes 1, 2, 3 in lab coordinates (orthonormal; default identity).
    centre : 3-vector
        k_L times the centre.
    waist : float, optional
        k_L w of a probe of waist w centred on the cloud (u = exp(−ρ⊥²/w²)); None: a plane wave.
    N : float, optional
        Atoms in this cloud (the optical depth and the entanglement models use it).

    Examples
    --------
    >>> from lehmberg import Cloud
    >>> cigar = Cloud(kL=(20, 20, 100))
    >>> cigar.isotropic, Cloud(shape="box", kL=(20, 20, 100)).volume
    (False, 40000.0)
    """

    shape: str = "gaussian"
    kL: tuple = (1.0, 1.0, 1.0)
    axes: tuple = _IDENTITY
    centre: tuple = (0.0, 0.0, 0.0)
    waist: float | None = None
    N: float | None = None

    def __post_init__(self):
        put = object.__setattr__.__get__(self)
        put("shape", _checks.choice(self.shape, "shape", CLOUD_SHAPES))
        put("kL", _checks.sizes(self.kL, "kL", *_checks.KL_RANGE))
        put("axes", _checks.rotation(self.axes, "axes"))
        put("centre", _vector(self.centre, "centre"))
        put("waist", _checks.number(self.waist, "waist", 0.0, _checks.KR_MAX, lo_open=True,
                                    allow_none=True))
        put("N", _checks.number(self.N, "N", 1.0, _checks.N_MAX, allow_none=True))
        if self.shape == "cylinder" and self.kL[0] != self.kL[1]:
            raise ValueError(f"kL: a cylinder has one diameter (L1 = L2), got {self.kL[:2]}")

    @property
    def isotropic(self) -> bool:
        """All sizes equal (a Gaussian is then the same in every orientation)."""
        return self.kL[0] == self.kL[1] == self.kL[2]

    @property
    def volume(self) -> float:
        """L₁L₂L₃ (box), π L₁² L₃/4 (cylinder), π^{3/2} L₁L₂L₃ (Gaussian: N over its peak
        density), in units of 1/k_L³."""
        v = self.kL[0] * self.kL[1] * self.kL[2]
        return {"box": v, "cylinder": math.pi * v / 4.0, "gaussian": math.pi**1.5 * v}[self.shape]

    def covariance(self):
        """Σ = Q diag(L_i²/2) Qᵀ of a Gaussian cloud (Q's columns are the axes), a 3×3 array."""
        import numpy as np

        if self.shape != "gaussian":
            raise ValueError(f"shape: a {self.shape} cloud has no Gaussian covariance")
        Q = np.asarray(self.axes).T
        return Q @ np.diag(np.square(self.kL) / 2.0) @ Q.T

    def moved(self, centre) -> "Cloud":
        """The same cloud centred at ``centre``."""
        return dataclasses.replace(self, centre=centre)

    def as_dict(self) -> dict:
        """Plain values for JSON and file attributes."""
        return {"shape": self.shape, "kL": list(self.kL), "axes": [list(r) for r in self.axes],
                "centre": list(self.centre), "waist": self.waist, "N": self.N}


def _vector(v, name):
    """A finite 3-vector within ``KR_MAX`` of the origin, as a tuple of floats."""
    t = tuple(float(x) for x in _checks.finite_array(v, name))
    if max(abs(x) for x in t) > _checks.KR_MAX:
        raise ValueError(f"{name} must be within {_checks.KR_MAX:g}/k_L of the origin, got {v!r}")
    return t


@dataclasses.dataclass(frozen=True)
class Geometry:
    """One or two clouds, the probe and the dipole: the pair of clouds a rate is asked for.

    ``Geometry(kL=…, kR=…)`` is the paper's set-up: two identical clouds (Gaussian or cube),
    cloud I at 0 and cloud II at k_L R along R̂, the probe along ẑ, a real dipole.
    :meth:`Geometry.of` describes any other (SPEC §9); a geometry made by ``of`` that is the
    paper's set-up after all becomes the shorthand (same numbers from every estimator).

    Parameters
    ----------
    kL : float
        k_L L, the cloud size in units of 1/k_L, in ``KL_RANGE`` = [1e-3, 1e7].
    kR : float or None
        k_L R, the centre distance of cloud II, in [0, 1e12]; ``None`` means one
        cloud (the rates inside cloud I).
    R_dir : 3-vector
        Direction of R (normalised here; default ẑ, the probe direction).
    p_hat : 3-vector or None
        Dipole p̂ (normalised here; default x̂); complex components (σ±) are allowed
        (:func:`lehmberg._checks.dipole`).  ``None`` drops the dipole factor (1 − |p̂·r̂|²) as
        the paper does between clouds: kernels (3/2) sin x/x and −(3/2) cos x/x.
    shape : {"gaussian", "cube"}
        Cloud shape.
    probe : 3-vector
        Direction k̂ of the probe (normalised; default ẑ).  Only :meth:`of` sets it.
    cloud_pair : tuple of Cloud
        The clouds of a general geometry (set by :meth:`of`; empty for the shorthand).

    Examples
    --------
    >>> from lehmberg import Cloud, Geometry
    >>> g = Geometry(kL=10, kR=30)
    >>> g.pair, g.single().pair
    ('inter', 'intra')
    >>> Geometry(kL=10, R_dir=(1e300, 0, 1e300)).R_dir == Geometry(kL=10, R_dir=(1, 0, 1)).R_dir
    True
    >>> Geometry.of(Cloud(kL=10), Cloud(kL=10, centre=(0, 0, 30))) == g  # the paper's set-up
    True
    >>> Geometry.of(Cloud(kL=(5, 5, 20))).paper
    False
    """

    kL: float | None = None
    kR: float | None = None
    R_dir: tuple = (0.0, 0.0, 1.0)
    p_hat: tuple | None = (1.0, 0.0, 0.0)
    shape: str = "gaussian"
    probe: tuple = _Z
    cloud_pair: tuple = ()

    def __post_init__(self):
        put = object.__setattr__.__get__(self)
        p = _checks.dipole(self.p_hat, "p_hat", allow_none=True)
        put("p_hat", p)
        if not self.cloud_pair:
            put("kL", _checks.number(self.kL, "kL", *_checks.KL_RANGE))
            put("kR", _checks.number(self.kR, "kR", 0.0, _checks.KR_MAX, allow_none=True))
            put("R_dir", tuple(float(x) for x in _checks.unit_vector(self.R_dir, "R_dir")))
            put("shape", _checks.choice(self.shape, "shape", SHAPES))
            if tuple(self.probe) != _Z:
                raise ValueError("probe: give it with Geometry.of (the shorthand probes along ẑ)")
            if p is not None and isinstance(p[0], complex):
                raise ValueError("p_hat: a complex dipole needs Geometry.of (SPEC §9)")
            return
        if (self.kL, self.kR, self.R_dir, self.shape) != (None, None, _Z, "gaussian"):
            raise ValueError("kL: give either the shorthand kL, kR, R_dir, shape or the clouds "
                             "(Geometry.of), not both")
        clouds = tuple(self.cloud_pair)
        if not 1 <= len(clouds) <= 2 or not all(isinstance(c, Cloud) for c in clouds):
            raise TypeError("cloud_pair must be one or two lehmberg.Cloud")
        put("cloud_pair", clouds)
        put("probe", tuple(float(x) for x in _checks.unit_vector(self.probe, "probe")))
        short = _shorthand(clouds, self.probe, p)
        if short is not None:
            for name, value in short.items():
                put(name, value)
            put("cloud_pair", ())

    @classmethod
    def of(cls, I: Cloud, II: Cloud | None = None, *, probe=_Z,
           p_hat=(1.0, 0.0, 0.0)) -> "Geometry":
        """A geometry of clouds of their own (SPEC §9): cloud I, optionally cloud II, the probe
        direction k̂ and the dipole p̂ (complex allowed; None: no dipole factor).

        The pair asked for is (I, I) without ``II``, else (I, II); :meth:`single` gives (I, I)
        and ``single("II")`` gives (II, II).
        """
        return cls(probe=probe, p_hat=p_hat, cloud_pair=(I,) if II is None else (I, II))

    @property
    def paper(self) -> bool:
        """Whether this is the paper's set-up (the shorthand: every estimator takes it)."""
        return not self.cloud_pair

    @property
    def I(self) -> Cloud:  # noqa: E743  (the paper's name of the cloud)
        """Cloud I."""
        if self.cloud_pair:
            return self.cloud_pair[0]
        return Cloud(shape=_CLOUD_SHAPE[self.shape], kL=self.kL)

    @property
    def II(self) -> Cloud | None:
        """Cloud II (None for one cloud)."""
        if self.cloud_pair:
            return self.cloud_pair[1] if len(self.cloud_pair) == 2 else None
        if self.kR is None:
            return None
        return Cloud(shape=_CLOUD_SHAPE[self.shape], kL=self.kL,
                     centre=tuple(self.kR * x for x in self.R_dir))

    @classmethod
    def from_lengths(cls, L, R=None, wavelength=CS_D2_WAVELENGTH, **kw) -> "Geometry":
        """The geometry of clouds of size ``L`` metres at distance ``R`` metres.

        k_L L = 2πL/λ and k_L R = 2πR/λ; the other keywords as for :class:`Geometry`.

        Examples
        --------
        >>> round(Geometry.from_lengths(L=1e-2, R=0.5).kL)
        73716
        """
        lam = _checks.number(wavelength, "wavelength", 0.0, lo_open=True)
        L = _checks.number(L, "L", 0.0, lo_open=True)
        R = _checks.number(R, "R", 0.0, allow_none=True)
        kL = 2.0 * math.pi * L / lam
        kR = None if R is None else 2.0 * math.pi * R / lam
        for name, value, lo, hi in (("L", kL, *_checks.KL_RANGE), ("R", kR, 0.0, _checks.KR_MAX)):
            if value is not None and not lo <= value <= hi:
                raise ValueError(f"{name} must give k_L {name} = 2π{name}/λ in [{lo:g}, {hi:g}], "
                                 f"got {value:g}")
        return cls(kL=kL, kR=kR, **kw)

    @property
    def pair(self) -> str:
        """``"intra"`` (both atoms in cloud I) for one cloud, else ``"inter"`` (I, II)."""
        return "intra" if self.II is None else "inter"

    @property
    def fresnel(self) -> float | None:
        """The Fresnel parameter u = k_L R/(k_L L)² of the shorthand (None for one cloud)."""
        return None if self.kR is None or self.kL is None else self.kR / self.kL**2

    def single(self, which: str = "I") -> "Geometry":
        """One of the clouds alone: the rates inside cloud I (``which="II"``: inside cloud II)."""
        which = _checks.choice(which, "which", ("I", "II"))
        if which == "II":  # rates inside one cloud do not depend on where it is
            if self.II is None:
                raise ValueError("which: this geometry has no cloud II")
            return Geometry.of(self.II.moved((0.0, 0.0, 0.0)), probe=self.probe, p_hat=self.p_hat)
        if self.cloud_pair:
            return dataclasses.replace(self, cloud_pair=self.cloud_pair[:1])
        return dataclasses.replace(self, kR=None)

    @property
    def identical(self) -> bool:
        """Whether clouds I and II differ only by their centre (then (II, II) = (I, I))."""
        II = self.II
        return II is None or dataclasses.replace(II, centre=self.I.centre) == self.I

    def clouds(self):
        """The :class:`sampling.TwoClouds` of the shorthand (cloud II at the origin for one cloud)."""
        from sampling import TwoClouds

        self.require_paper("realised or sampled clouds")
        return TwoClouds(self.shape, self.kL, 0.0 if self.kR is None else self.kR, self.R_dir)

    def require_paper(self, what: str) -> None:
        """ValueError unless this is the paper's set-up (for the estimators that cover only it)."""
        if self.cloud_pair:
            raise ValueError(f"geometry: {what} of the paper's set-up only here (identical "
                             "isotropic clouds, probe along ẑ, a real dipole, no waist); clouds "
                             "of their own are sampled through lehmberg.average.general_pair")

    def varied(self, *, scale: float | None = None, aspect: float | None = None,
               keep: str = "volume", waist=_UNSET, probe_angle: float | None = None,
               kR: float | None = None) -> "Geometry":
        """This geometry with one or more of its parameters changed: the geometry axes of a scan.

        Applied in this order, to every cloud alike:

        ``aspect``
            L₃/L⊥ of each cloud (L⊥ = √(L₁L₂), the ratio L₁/L₂ kept), at fixed ``keep``:
            ``"volume"`` (L₁L₂L₃ unchanged: the same atoms at the same peak density) or
            ``"area"`` (L₁, L₂ unchanged: the same transverse area, a longer cloud).
        ``scale``
            Every length (sizes, centres, waists) times ``scale``.
        ``waist``
            k_L w of every cloud's probe (None: a plane wave); Gaussian clouds only.
        ``probe_angle``
            The probe turned by this many degrees towards cloud I's axis 1 (axis 2 if axis 1
            is along the probe), the dipole turned with it (its polarisation stays transverse).
        ``kR``
            Cloud II moved to k_L R from cloud I's centre, along the line of their centres
            (along the probe if they coincide).

        Examples
        --------
        >>> from lehmberg import Cloud, Geometry
        >>> g = Geometry.of(Cloud(kL=(10, 10, 40)))
        >>> g.varied(aspect=1.0).I.kL  # the same volume as a ball
        (15.874010519681994, 15.874010519681994, 15.874010519681994)
        >>> g.varied(aspect=1.0, keep="area").I.kL
        (10.0, 10.0, 10.0)
        >>> t = g.varied(probe_angle=90.0)
        >>> [round(x, 12) + 0.0 for x in t.probe], [round(x, 12) + 0.0 for x in t.p_hat]
        ([1.0, 0.0, 0.0], [0.0, 0.0, -1.0])
        >>> Geometry(kL=10, kR=30).varied(kR=60) == Geometry(kL=10, kR=60)
        True
        """
        import numpy as np

        keep = _checks.choice(keep, "keep", ("volume", "area"))
        aspect = _checks.number(aspect, "aspect", 0.0, lo_open=True, allow_none=True)
        scale = _checks.number(scale, "scale", 0.0, lo_open=True, allow_none=True)
        probe_angle = _checks.number(probe_angle, "probe_angle", 0.0, 180.0, allow_none=True)
        kR = _checks.number(kR, "kR", 0.0, _checks.KR_MAX, allow_none=True)
        if waist is not _UNSET:
            waist = _checks.number(waist, "waist", 0.0, _checks.KR_MAX, lo_open=True,
                                   allow_none=True)
        clouds = [self.I] + ([self.II] if self.II is not None else [])
        probe, p = np.asarray(self.probe), self.p_hat
        if aspect is not None:
            out = []
            for c in clouds:
                L1, L2, L3 = c.kL
                perp = math.sqrt(L1 * L2)
                f = (L3 / (aspect * perp)) ** (1.0 / 3.0) if keep == "volume" else 1.0
                out.append(dataclasses.replace(c, kL=(L1 * f, L2 * f, aspect * perp * f)))
            clouds = out
        if scale is not None:
            clouds = [dataclasses.replace(
                c, kL=tuple(scale * x for x in c.kL), centre=tuple(scale * x for x in c.centre),
                waist=None if c.waist is None else scale * c.waist) for c in clouds]
        if waist is not _UNSET:
            clouds = [dataclasses.replace(c, waist=waist) for c in clouds]
        if probe_angle is not None and probe_angle != 0.0:
            axes = np.asarray(clouds[0].axes)
            side = next(a - (a @ probe) * probe for a in axes
                        if np.linalg.norm(a - (a @ probe) * probe) > 1e-6)
            side /= np.linalg.norm(side)
            n = np.cross(probe, side)  # rotation axis: probe → side by +angle
            t = math.radians(probe_angle)
            K = np.array([[0, -n[2], n[1]], [n[2], 0, -n[0]], [-n[1], n[0], 0]])
            Rm = np.eye(3) + math.sin(t) * K + (1.0 - math.cos(t)) * (K @ K)
            probe = Rm @ probe
            if p is not None:
                p = tuple(complex(x) if isinstance(p[0], complex) else float(x)
                          for x in Rm @ np.asarray(p))
        if kR is not None:
            if len(clouds) < 2:
                raise ValueError("kR: this geometry has no cloud II to move")
            c1, c2 = np.asarray(clouds[0].centre), np.asarray(clouds[1].centre)
            e = c2 - c1
            e = e / np.linalg.norm(e) if np.linalg.norm(e) > 0 else probe
            clouds[1] = clouds[1].moved(tuple(float(x) for x in c1 + kR * e))
        return Geometry.of(*clouds, probe=tuple(float(x) for x in probe), p_hat=p)

    @classmethod
    def from_dict(cls, d: dict) -> "Geometry":
        """The geometry :meth:`as_dict` describes (its inverse, for task payloads and files).

        Examples
        --------
        >>> from lehmberg import Cloud, Geometry
        >>> g = Geometry.of(Cloud(kL=(5, 5, 20), waist=8.0), p_hat=(1, 1j, 0))
        >>> Geometry.from_dict(g.as_dict()) == g
        True
        """
        def dipole(p):
            return None if p is None else [complex(*x) if isinstance(x, (list, tuple)) else x
                                           for x in p]

        if "I" not in d:
            return cls(kL=d["kL"], kR=d.get("kR"), R_dir=d.get("R_dir", _Z),
                       p_hat=dipole(d.get("p_hat")), shape=d.get("shape", "gaussian"))
        clouds = [Cloud(**{k: (tuple(v) if isinstance(v, list) else v)
                           for k, v in d[s].items()}) for s in ("I", "II") if s in d]
        return cls.of(*clouds, probe=d.get("probe", _Z), p_hat=dipole(d.get("p_hat")))

    def as_dict(self) -> dict:
        """Plain values for JSON and file attributes (``p_hat`` None: no dipole factor)."""
        p = None if self.p_hat is None else [
            x if isinstance(x, float) else [x.real, x.imag] for x in self.p_hat]
        if not self.cloud_pair:
            return {"shape": self.shape, "kL": self.kL, "kR": self.kR, "R_dir": list(self.R_dir),
                    "p_hat": p}
        out = {"probe": list(self.probe), "p_hat": p, "I": self.I.as_dict()}
        if self.II is not None:
            out["II"] = self.II.as_dict()
        return out


_CLOUD_SHAPE = {"gaussian": "gaussian", "cube": "box"}


def _shorthand(clouds, probe, p):
    """The shorthand fields of clouds that are the paper's set-up, else None."""
    I = clouds[0]
    II = clouds[1] if len(clouds) == 2 else None
    if tuple(probe) != _Z or (p is not None and isinstance(p[0], complex)):
        return None
    if I.waist is not None or I.N is not None or not I.isotropic or I.centre != (0.0, 0.0, 0.0):
        return None
    if I.shape == "cylinder" or (I.shape == "box" and I.axes != _IDENTITY):
        return None
    if II is not None and dataclasses.replace(II, centre=I.centre, axes=I.axes) != I:
        return None
    if II is not None and I.shape == "box" and II.axes != _IDENTITY:
        return None
    out = {"kL": I.kL[0], "shape": "gaussian" if I.shape == "gaussian" else "cube",
           "kR": None, "R_dir": _Z}
    if II is not None:
        R = math.sqrt(sum(x * x for x in II.centre))
        out["kR"] = R
        out["R_dir"] = _Z if R == 0.0 else tuple(
            float(x) for x in _checks.unit_vector(II.centre, "centre"))
    return out


# ----------------------------------------------------------------------------- geometry files

#: Keys of a geometry file: top level, and per cloud section ([I], [II]).
FILE_KEYS = ("probe", "dipole", "wavelength", "I", "II")
CLOUD_KEYS = ("shape", "kL", "L", "axes", "centre", "waist", "N")


def read_geometry(path) -> Geometry:
    """The :class:`Geometry` of a TOML geometry file (``--geometry FILE``).

    ::

        probe = [0, 0, 1]              # k̂ (normalised); default [0, 0, 1]
        dipole = ["1", "1j", "0"]      # p̂: numbers, or strings Python parses as complex; "none"
        wavelength = 852.347e-9        # metres, for lengths given as L (default: Cs D2)
        [I]
        shape = "gaussian"             # gaussian | box | cylinder
        kL = [2, 3, 6]                 # k_L L₁, L₂, L₃ along the cloud's axes (one number: all
                                       # equal); or L = [...] in metres
        axes = [[1,0,0],[0,1,0],[0,0,1]]   # rows: axes 1, 2, 3 in lab coordinates
        centre = [0, 0, 0]             # in units of 1/k_L (with L: metres)
        waist = 2.0                    # optional probe waist (same length unit)
        N = 300                        # optional atoms in this cloud
        [II]                           # optional second cloud, same keys

    Raises
    ------
    ValueError
        One line naming the key (``[II].axes: rows are not orthonormal``), the file, or the
        TOML syntax error.
    """
    from .io import read_toml

    try:
        doc = read_toml(path)
    except ValueError as exc:
        raise ValueError(f"geometry: {path}: {exc}") from None
    return geometry_from_dict(doc)


def geometry_from_dict(doc: dict) -> Geometry:
    """:func:`read_geometry` of a parsed document (a dict with the file's keys)."""
    if not isinstance(doc, dict):
        raise TypeError("geometry: the document must be a table of keys")
    unknown = sorted(set(doc) - set(FILE_KEYS))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key (known: {', '.join(FILE_KEYS)})")
    if "I" not in doc:
        raise ValueError("[I]: the file needs a section [I] (cloud I)")
    lam = _checks.number(doc.get("wavelength", CS_D2_WAVELENGTH), "wavelength", 0.0, lo_open=True)
    clouds = [_cloud_from(doc[s], s, lam) for s in ("I", "II") if s in doc]
    dipole = doc.get("dipole", [1, 0, 0])
    if isinstance(dipole, str) and dipole.strip().lower() == "none":
        dipole = None
    return Geometry.of(*clouds, probe=doc.get("probe", _Z), p_hat=dipole)


def _cloud_from(section, name, wavelength):
    if not isinstance(section, dict):
        raise ValueError(f"[{name}]: must be a table of keys")
    unknown = sorted(set(section) - set(CLOUD_KEYS))
    if unknown:
        raise ValueError(f"[{name}].{unknown[0]}: unknown key (known: {', '.join(CLOUD_KEYS)})")
    kw = {k: section[k] for k in ("shape", "axes", "centre", "waist", "N") if k in section}
    if ("kL" in section) == ("L" in section):
        raise ValueError(f"[{name}].kL: give the sizes as kL (units of 1/k_L) or as L (metres)")
    try:
        if "L" in section:  # metres: every length of the section
            k = 2.0 * math.pi / wavelength
            L = _checks.sizes(section["L"], "L", 0.0, math.inf)
            kw["kL"] = tuple(k * x for x in L)
            if "centre" in kw:
                kw["centre"] = [k * float(x) for x in _vector(kw["centre"], "centre")]
            if kw.get("waist") is not None:
                kw["waist"] = k * _checks.number(kw["waist"], "waist", 0.0, lo_open=True)
        else:
            kw["kL"] = section["kL"]
        return Cloud(**kw)
    except (TypeError, ValueError) as exc:  # the message starts with the field's name
        raise type(exc)(f"[{name}].{exc}") from None
