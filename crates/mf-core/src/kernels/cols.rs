//! Columns of column-major faer matrices as slices (the glue loops of the step run over them
//! instead of bounds-checked `(i, k)` indexing; same operations in the same order).

use faer::prelude::ReborrowMut;
use faer::{MatMut, MatRef};

/// Column k of a matrix with unit row stride, as a slice.
#[inline]
pub(crate) fn col(m: MatRef<'_, f64>, k: usize) -> &[f64] {
    m.col(k)
        .try_as_col_major()
        .expect("a column-major matrix")
        .as_slice()
}

/// Column k of a matrix with unit row stride, as a mutable slice.
#[inline]
pub(crate) fn col_mut<'a>(m: &'a mut MatMut<'_, f64>, k: usize) -> &'a mut [f64] {
    m.rb_mut()
        .col_mut(k)
        .try_as_col_major_mut()
        .expect("a column-major matrix")
        .as_slice_mut()
}
