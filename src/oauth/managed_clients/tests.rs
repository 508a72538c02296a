//! Tests of the clients service.
