//! Tests of the identity assurance layer.
