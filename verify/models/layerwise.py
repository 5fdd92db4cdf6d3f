"""Layer-wise forward/backward formulas for MLPs, written once against the arithmetic protocol.

Notation (batch of n data points in rows): ĥ_0 = [X, 1], z_l = ĥ_{l−1} W̃_lᵀ with W̃_l = [W_l | b_l]
(no ones column and no b_l without biases), h_l = σ_l(z_l), ĥ_l = [h_l, 1], outputs F = z_D.
For output weights C (n × k) we compute, with φ(θ) = Σ_{i,o} C_io F_io(θ):

* adjoints δz_D = C, δh_l = δz_{l+1} W_{l+1}, δz_l = δh_l ⊙ σ'_l(z_l)   (backprop; ∇φ blocks δz_lᵀ ĥ_{l−1})
* sensitivities U_{l,j} = ∂z_l/∂z_j (n × m_l × m_j): U_{j,j} = I, U_{l+1,j} = W_{l+1} diag σ'_l(z_l) U_{l,j}
* Jacobian: ∂F_io/∂W̃_j[c,b] = U_{D,j}[i,o,c] ĥ_{j−1}[i,b]
* Hessian of φ, block (j ≤ k), entries (c,b) × (c',b'):
  Σ_i ĥ_{j−1}[i,b] ĥ_{k−1}[i,b'] Σ_{l=k}^{D−1} Σ_a s_l[i,a] U_{l,j}[i,a,c] U_{l,k}[i,a,c']  (s_l = δh_l ⊙ σ''_l(z_l))
  + [j < k] Σ_i ĥ_{j−1}[i,b] δz_k[i,c'] σ'_{k−1}(z_{k−1})[i,b'] U_{k−1,j}[i,b',c]   (b' < m_{k−1})
  The first term is the curvature of the activations, the second that of the bilinear products
  W_k h_{k−1}. Identity sensitivities are never formed densely.
* Hessian-vector products by forward-over-reverse (Pearlmutter's R-operator) on the backprop.

The exact sympy model (:meth:`MLP.symbolic`) checks all of this in ``tests/``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import RegionBoundaryError, ShapeError


class Layerwise:
    """Forward/backward passes of ``net`` on inputs ``X`` (an array of ``arith``)."""

    def __init__(self, net, arith):
        self.net, self.a = net, arith
        self.D = net.depth
        self.m = net.widths
        self.B = [None] + [net.widths[l - 1] + (1 if net.bias else 0) for l in range(1, self.D + 1)]
        self.perm = _internal_to_public(net)
        self.identity_perm = bool(np.array_equal(self.perm, np.arange(len(self.perm))))

    # ------------------------------------------------------------------ parameters
    def weights(self, theta):
        """W̃_l (m_l × B_l) for l = 1..D from the public θ (index 0 unused)."""
        Wt = [None]
        net = self.net
        for l in range(1, self.D + 1):
            W = theta[net.block(f"W{l}").slice].reshape(self.m[l], self.m[l - 1])
            if net.bias:
                b = theta[net.block(f"b{l}").slice].reshape(self.m[l], 1)
                W = np.concatenate([W, b], axis=1)
            Wt.append(W)
        return Wt

    def _hat(self, h):
        if not self.net.bias:
            return h
        ones = np.empty((h.shape[0], 1), dtype=h.dtype)
        ones.fill(self.a.const(Fraction(1)))
        return np.concatenate([h, ones], axis=1)

    # ------------------------------------------------------------------ forward
    def forward(self, theta, X, order: int = 0):
        """Pre-activations z_l, ĥ_l and σ^(k)_l(z_l) for k ≤ order. Returns a dict cache."""
        a = self.a
        Wt = self.weights(theta)
        hh = [self._hat(X)]
        zs, d1, d2 = [None], [None], [None]
        for l in range(1, self.D + 1):
            z = a.matmul(hh[l - 1], Wt[l].T)
            zs.append(z)
            if l == self.D:
                break
            act = self.net.activations[l - 1]
            try:
                vals = act(z, a, order)
            except RegionBoundaryError as hit:
                if getattr(hit, "index", None) is None:
                    raise
                i, unit = hit.index
                raise RegionBoundaryError(
                    f"layer {l}, neuron {unit}, data point {i}: the pre-activation {hit.value} "
                    f"{'contains' if a.name == 'ball' else 'equals'} the breakpoint {hit.breakpoint} of "
                    f"{act.name}, where derivatives of order {hit.order} do not exist (it is C^{hit.continuity}"
                    f" there): θ may lie on an activation-region boundary. Move θ off the boundary"
                    f"{' or raise the precision' if a.name == 'ball' else ''}.",
                    layer=l, neuron=int(unit), data_point=int(i), breakpoint=hit.breakpoint,
                    enclosure=hit.value) from None
            hh.append(self._hat(vals[0]))
            d1.append(vals[1] if order >= 1 else None)
            d2.append(vals[2] if order >= 2 else None)
        return {"Wt": Wt, "hh": hh, "z": zs, "d1": d1, "d2": d2}

    def outputs(self, theta, X):
        return self.forward(theta, X, 0)["z"][self.D]

    def out(self, fw):
        """The outputs F (n × k) of a forward cache."""
        return fw["z"][self.D]

    # ------------------------------------------------------------------ loss derivatives
    def loss_hessian(self, theta, X, ell):
        """∇²L for L = Σ ℓ(F): the Gauss–Newton term Jᵀ ℓ''(F) J plus the curvature blocks of Σ ℓ'(F) F.
        ``ell(F, order)`` returns (ℓ, ℓ', ℓ'') with ℓ'' of shape (n, k) (diagonal) or (n, k, k)."""
        a = self.a
        fw = self.forward(theta, X, 2)
        _, l1, l2 = ell(self.out(fw), 2)
        J = self.jacobian(theta, X, fw, internal=True)
        if l2.ndim == 2:
            GN = a.matmul_symmetric((J * l2.reshape(-1)[:, None]).T, J)
        else:
            n, k = l2.shape[:2]
            J3 = J.reshape(n, k, -1)
            W = None
            for o in range(k):
                term = l2[:, :, o][:, :, None] * J3[:, o:o + 1, :]
                W = term if W is None else W + term
            GN = a.matmul_symmetric(J.T, W.reshape(n * k, -1))
        return self.weighted_hessian(theta, X, l1, fw, H=GN)

    def loss_hvp(self, theta, X, ell, v):
        """∇²L(θ) v for L = Σ ℓ(F) (forward-over-reverse on the backprop)."""
        from .nn.graph import apply_curvature

        fw = self.forward(theta, X, 2)
        _, l1, l2 = ell(self.out(fw), 2)
        out, _ = self.rop(theta, X, l1, lambda Fd: apply_curvature(l2, Fd), v, fw)
        return out

    # ------------------------------------------------------------------ backward
    def adjoints(self, fw, C):
        """δz_l (l = 1..D) and δh_l (l = 1..D−1) for output weights C."""
        a, D = self.a, self.D
        dz = [None] * (D + 1)
        dh = [None] * (D + 1)
        dz[D] = C
        for l in range(D - 1, 0, -1):
            dh[l] = a.matmul(dz[l + 1], fw["Wt"][l + 1][:, : self.m[l]])
            dz[l] = dh[l] * fw["d1"][l]
        return dz, dh

    def _grad_from_adjoints(self, fw, dz):
        parts = [self.a.matmul(dz[l].T, fw["hh"][l - 1]).reshape(-1) for l in range(1, self.D + 1)]
        return self._to_public_vec(np.concatenate(parts))

    def vjp(self, theta, X, C, fw=None):
        """∇_θ Σ_io C_io F_io(θ) (p,)."""
        fw = fw or self.forward(theta, X, 1)
        dz, _ = self.adjoints(fw, C)
        return self._grad_from_adjoints(fw, dz)

    # ------------------------------------------------------------------ sensitivities / Jacobian
    def sensitivities(self, fw, upto: int):
        """U[(l, j)] = ∂z_l/∂z_j for 1 ≤ j < l ≤ upto (identity for l = j is implicit)."""
        a = self.a
        U = {}
        n = fw["z"][1].shape[0]
        for j in range(1, upto):
            # U_{j+1,j}[i,a,c] = W_{j+1}[a,c] σ'_j[i,c]
            W = fw["Wt"][j + 1][:, : self.m[j]]
            U[(j + 1, j)] = W[None, :, :] * fw["d1"][j][:, None, :]
            for l in range(j + 1, upto):
                V = fw["d1"][l][:, :, None] * U[(l, j)]  # (n, m_l, m_j)
                Vt = V.transpose(1, 0, 2).reshape(self.m[l], n * self.m[j])
                W = fw["Wt"][l + 1][:, : self.m[l]]
                U[(l + 1, j)] = a.matmul(W, Vt).reshape(self.m[l + 1], n, self.m[j]).transpose(1, 0, 2)
        return U

    def jacobian(self, theta, X, fw=None, internal: bool = False):
        """∂F/∂θ, shape (n·k, p); row i·k + o is output o at data point i (columns in the internal
        parameter order if ``internal``)."""
        a, D = self.a, self.D
        fw = fw or self.forward(theta, X, 1)
        n, k = fw["z"][D].shape
        U = self.sensitivities(fw, D)
        cols = []
        for j in range(1, D + 1):
            hj = fw["hh"][j - 1]
            if j == D:
                blk = a.zeros((n, k, k, self.B[j]))
                for o in range(k):
                    blk[:, o, o, :] = hj
            else:
                blk = U[(D, j)][:, :, :, None] * hj[:, None, None, :]
            cols.append(blk.reshape(n * k, self.m[j] * self.B[j]))
        J = np.concatenate(cols, axis=1)
        return J if internal else self._to_public_cols(J)

    # ------------------------------------------------------------------ Hessian of Σ C F
    def weighted_hessian(self, theta, X, C, fw=None, H=None):
        """∇²_θ Σ_io C_io F_io(θ) (p × p) by the block formulas in the module docstring.

        ``H``: optional p × p array in the *internal* parameter order to accumulate into (in place;
        e.g. the Gauss–Newton term), so that only the nonzero blocks are ever added."""
        a, D, m, B = self.a, self.D, self.m, self.B
        fw = fw or self.forward(theta, X, 2)
        n = X.shape[0]
        dz, dh = self.adjoints(fw, C)
        U = self.sensitivities(fw, D)
        s = [None] + [dh[l] * fw["d2"][l] for l in range(1, D)]
        hh = fw["hh"]
        sizes = [m[l] * B[l] for l in range(1, D + 1)]
        offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        p = int(offs[-1])
        if H is None:
            H = a.zeros((p, p))
        elif H.shape != (p, p):
            raise ShapeError(f"accumulator has shape {H.shape}, expected {(p, p)}")

        def add(j, k, blk):
            sj = slice(offs[j - 1], offs[j])
            sk = slice(offs[k - 1], offs[k])
            H[sj, sk] += blk
            if j != k:
                H[sk, sj] += blk.T

        for k in range(1, D + 1):
            for j in range(1, k + 1):
                # --- activation curvature, hidden layers l = k..D-1
                if k <= D - 1:
                    if j == k:  # l = k: diagonal in units → block diagonal
                        G = (s[k][:, :, None] * hh[k - 1][:, None, :]).reshape(n, m[k] * B[k])
                        R = a.matmul(G.T, hh[k - 1]).reshape(m[k], B[k], B[k])
                        o = offs[k - 1]
                        for c in range(m[k]):  # only the diagonal unit blocks are nonzero
                            u = slice(o + c * B[k], o + (c + 1) * B[k])
                            H[u, u] += R[c]
                        M = None
                    else:  # l = k, j < k: M[i,c,c'] = s_k[i,c'] U_{k,j}[i,c',c]
                        M = (U[(k, j)] * s[k][:, :, None]).transpose(0, 2, 1)
                    for l in range(k + 1, D):
                        left = (s[l][:, :, None] * U[(l, j)]).transpose(0, 2, 1)  # (n, m_j, m_l)
                        Ml = np.stack([a.matmul(left[i], U[(l, k)][i]) for i in range(n)])
                        M = Ml if M is None else M + Ml
                    if M is not None:
                        A4 = (M[:, :, :, None] * hh[j - 1][:, None, None, :]).reshape(n, -1)
                        R = a.matmul(A4.T, hh[k - 1]).reshape(m[j], m[k], B[j], B[k])
                        add(j, k, R.transpose(0, 2, 1, 3).reshape(sizes[j - 1], sizes[k - 1]))
                # --- bilinear curvature at node z_k = W̃_k ĥ_{k-1}
                if j < k:
                    blk = a.zeros((m[j], B[j], m[k], B[k]))
                    if j == k - 1:
                        Q = (fw["d1"][j][:, :, None] * dz[k][:, None, :]).reshape(n, m[j] * m[k])
                        R = a.matmul(hh[j - 1].T, Q).reshape(B[j], m[j], m[k])
                        for c in range(m[j]):
                            blk[c, :, :, c] = R[:, c, :]
                    else:
                        P = (fw["d1"][k - 1][:, :, None] * U[(k - 1, j)]).transpose(0, 2, 1)  # (n, m_j, m_{k-1})
                        Q = (P[:, :, None, :] * dz[k][:, None, :, None]).reshape(n, -1)
                        R = a.matmul(hh[j - 1].T, Q).reshape(B[j], m[j], m[k], m[k - 1])
                        blk[:, :, :, : m[k - 1]] = R.transpose(1, 0, 2, 3)
                    add(j, k, blk.reshape(sizes[j - 1], sizes[k - 1]))
        return self._to_public_square(H)

    # ------------------------------------------------------------------ R-operator
    def rop(self, theta, X, C, dC_fn, v, fw=None):
        """Directional derivative along v of the backprop gradient with output weights C(F).

        ``dC_fn(Fdot)`` returns dC/dθ·v given Ḟ = J v (zero for fixed C). Returns (∇²·v, Ḟ).
        """
        a, D, m = self.a, self.D, self.m
        fw = fw or self.forward(theta, X, 2)
        Vt = self.weights(v)
        hh = fw["hh"]
        hhd = [a.zeros(hh[0].shape)]
        zd = [None] * (D + 1)
        for l in range(1, D + 1):
            zd[l] = a.matmul(hh[l - 1], Vt[l].T)
            if l > 1:
                zd[l] = zd[l] + a.matmul(hhd[l - 1][:, : m[l - 1]], fw["Wt"][l][:, : m[l - 1]].T)
            if l < D:
                hd = fw["d1"][l] * zd[l]
                hhd.append(self._hat(hd) if not self.net.bias else
                           np.concatenate([hd, a.zeros((hd.shape[0], 1))], axis=1))
        Fdot = zd[D]
        dz, dh = self.adjoints(fw, C)
        dzd = [None] * (D + 1)
        dzd[D] = dC_fn(Fdot)
        parts = [None] * (D + 1)
        for l in range(D, 0, -1):
            g = a.matmul(dzd[l].T, hh[l - 1])
            if l > 1:
                g = g + a.matmul(dz[l].T, hhd[l - 1])
            parts[l] = g.reshape(-1)
            if l > 1:
                dhd = a.matmul(dzd[l], fw["Wt"][l][:, : m[l - 1]]) + a.matmul(dz[l], Vt[l][:, : m[l - 1]])
                dzd[l - 1] = dhd * fw["d1"][l - 1] + dh[l - 1] * fw["d2"][l - 1] * zd[l - 1]
        return self._to_public_vec(np.concatenate(parts[1:])), Fdot

    # ------------------------------------------------------------------ index maps
    def _to_public_vec(self, g):
        if self.identity_perm:
            return g
        out = np.empty_like(g)
        out[self.perm] = g
        return out

    def _to_public_cols(self, J):
        if self.identity_perm:
            return J
        out = np.empty_like(J)
        out[:, self.perm] = J
        return out

    def _to_public_square(self, H):
        if self.identity_perm:
            return H
        out = np.empty_like(H)
        out[np.ix_(self.perm, self.perm)] = H
        return out


def _internal_to_public(net) -> np.ndarray:
    """perm[internal index] = public index; internal order is W̃_l row-major, layer by layer."""
    perm = []
    for l in range(1, net.depth + 1):
        Wb = net.block(f"W{l}")
        m, mp = Wb.shape
        bb = net.block(f"b{l}") if net.bias else None
        for a in range(m):
            for b in range(mp):
                perm.append(Wb.slice.start + a * mp + b)
            if bb is not None:
                perm.append(bb.slice.start + a)
    return np.array(perm, dtype=int)
