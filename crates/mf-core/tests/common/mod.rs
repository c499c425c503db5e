//! Independent double-double (~32 digit) reference for the tests.
//!
//! Reference: the power series `\sum_k t_k`, `t_k = t_{k-1} y / ((b+k-1) k)`,
//! summed in double-double arithmetic until `t_k < 10^{-34}` of the sum (after
//! the peak), with exact power-of-two rescaling against overflow, and a
//! double-double logarithm (atanh series).  It shares no code with the crate.
#![allow(dead_code)]

// ---------------------------------------------------------------------------
// Minimal double-double arithmetic
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct Dd {
    pub hi: f64,
    pub lo: f64,
}

pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

pub fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

impl Dd {
    pub const LN2: Dd = Dd {
        hi: std::f64::consts::LN_2,
        lo: 2.319_046_813_846_299_6e-17,
    };
    pub const PI: Dd = Dd {
        hi: std::f64::consts::PI,
        lo: 1.224_646_799_147_353_2e-16,
    };

    pub fn new(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
    pub fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (t, f) = two_sum(self.lo, o.lo);
        let (s, e) = fast_two_sum(s, e + t);
        let (s, e) = fast_two_sum(s, e + f);
        Dd { hi: s, lo: e }
    }
    pub fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
    pub fn sub(self, o: Dd) -> Dd {
        self.add(o.neg())
    }
    pub fn mul(self, o: Dd) -> Dd {
        let p = self.hi * o.hi;
        let e = self.hi.mul_add(o.hi, -p);
        let e = e + (self.hi * o.lo + self.lo * o.hi);
        let (hi, lo) = fast_two_sum(p, e);
        Dd { hi, lo }
    }
    pub fn mul_f(self, b: f64) -> Dd {
        self.mul(Dd::new(b))
    }
    pub fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.sub(o.mul_f(q1));
        let q2 = r.hi / o.hi;
        let r = r.sub(o.mul_f(q2));
        let q3 = r.hi / o.hi;
        let (hi, lo) = fast_two_sum(q1, q2);
        Dd { hi, lo }.add(Dd::new(q3))
    }
    pub fn div_f(self, b: f64) -> Dd {
        self.div(Dd::new(b))
    }
    pub fn scale(self, p2: f64) -> Dd {
        Dd {
            hi: self.hi * p2,
            lo: self.lo * p2,
        }
    }
    /// Natural log: a = m 2^e, m in [1/sqrt2, sqrt2); ln m = 2 atanh((m-1)/(m+1)).
    pub fn ln(self) -> Dd {
        assert!(self.hi > 0.0);
        let mut e = 0i32;
        let mut m = self;
        while m.hi >= std::f64::consts::SQRT_2 {
            m = m.scale(0.5);
            e += 1;
        }
        while m.hi < std::f64::consts::FRAC_1_SQRT_2 {
            m = m.scale(2.0);
            e -= 1;
        }
        let z = m.sub(Dd::new(1.0)).div(m.add(Dd::new(1.0)));
        let z2 = z.mul(z);
        let mut pw = z;
        let mut s = z;
        let mut k = 1.0;
        loop {
            pw = pw.mul(z2);
            k += 2.0;
            let term = pw.div_f(k);
            s = s.add(term);
            if term.hi.abs() < 1e-36 * s.hi.abs().max(1e-300) || pw.hi == 0.0 {
                break;
            }
        }
        s.scale(2.0).add(Dd::LN2.mul_f(e as f64))
    }
}

/// Double-double series `{}_0F_1(;b;y) = mant * 2^{exp2}`.
pub fn f_ref(b: f64, y: f64) -> (Dd, f64) {
    let mut t = Dd::new(1.0);
    let mut s = Dd::new(1.0);
    let mut exp2 = 0.0;
    let mut k = 0.0;
    loop {
        k += 1.0;
        t = t.mul_f(y).div_f(b + (k - 1.0)).div_f(k);
        s = s.add(t);
        if s.hi > 1e150 {
            let f = 2f64.powi(-500);
            s = s.scale(f);
            t = t.scale(f);
            exp2 += 500.0;
        }
        if 2.0 * y <= (b + k) * (k + 1.0) && t.hi <= 1e-34 * s.hi {
            break;
        }
        assert!(k < 1e6);
    }
    (s, exp2)
}

/// Double-double `\ln {}_0F_1(;b;y)`.
pub fn ln_f_ref(b: f64, y: f64) -> Dd {
    let (s, e) = f_ref(b, y);
    s.ln().add(Dd::LN2.mul_f(e))
}

/// Double-double `R(b,y)`.
pub fn ratio_ref(b: f64, y: f64) -> Dd {
    let (s0, e0) = f_ref(b, y);
    let (s1, e1) = f_ref(b + 1.0, y);
    s1.div(s0).scale(2f64.powf(e1 - e0))
}

/// `|exp(ln - ref) - 1|`.
pub fn ln_err(ln: f64, r: Dd) -> f64 {
    ((ln - r.hi) - r.lo).exp_m1().abs()
}

/// `|x / ref - 1|`.
pub fn rel_err(x: f64, r: Dd) -> f64 {
    ((x - r.hi) - r.lo).abs() / r.hi
}
