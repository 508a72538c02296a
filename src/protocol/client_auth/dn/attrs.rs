//! Attribute type names of RFC 4514 strings, mapped to their OIDs.
//!
//! RFC 4514 §3 requires recognizing CN, L, ST, O, OU, C, STREET, DC and UID;
//! the others are the attributes open banking certificates carry (RFC 4519,
//! PKCS #9, the CA/Browser Forum EV fields that Brazil's certificates use,
//! ETSI EN 319 412-1 `organizationIdentifier`). Names compare
//! case-insensitively (RFC 4512 §1.4); any other type is written as a dotted
//! OID, optionally prefixed `OID.` (RFC 2253 legacy).

/// (names, OID arcs).
const ATTRIBUTE_TYPES: &[(&[&str], &[u64])] = &[
    (&["CN", "commonName"], &[2, 5, 4, 3]),
    (&["SN", "surname"], &[2, 5, 4, 4]),
    (&["serialNumber"], &[2, 5, 4, 5]),
    (&["C", "countryName"], &[2, 5, 4, 6]),
    (&["L", "localityName"], &[2, 5, 4, 7]),
    (&["ST", "stateOrProvinceName"], &[2, 5, 4, 8]),
    (&["STREET", "streetAddress"], &[2, 5, 4, 9]),
    (&["O", "organizationName"], &[2, 5, 4, 10]),
    (&["OU", "organizationalUnitName"], &[2, 5, 4, 11]),
    (&["title"], &[2, 5, 4, 12]),
    (&["businessCategory"], &[2, 5, 4, 15]),
    (&["postalCode"], &[2, 5, 4, 17]),
    (&["GN", "givenName"], &[2, 5, 4, 42]),
    (&["organizationIdentifier"], &[2, 5, 4, 97]),
    (&["DC", "domainComponent"], &[0, 9, 2342, 19200300, 100, 1, 25]),
    (&["UID", "userId"], &[0, 9, 2342, 19200300, 100, 1, 1]),
    (&["emailAddress", "E"], &[1, 2, 840, 113549, 1, 9, 1]),
    (
        &["jurisdictionL", "jurisdictionLocalityName"],
        &[1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 1],
    ),
    (
        &["jurisdictionST", "jurisdictionStateOrProvinceName"],
        &[1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 2],
    ),
    (
        &["jurisdictionC", "jurisdictionCountryName"],
        &[1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3],
    ),
];

/// The OID of an attribute type as written in an RFC 4514 string: a known
/// name, or a dotted OID (`numericoid`, RFC 4512 §1.4).
pub(super) fn attribute_type_oid(name: &str) -> Option<Vec<u64>> {
    if let Some((_, oid)) = ATTRIBUTE_TYPES
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    {
        return Some(oid.to_vec());
    }
    let dotted = match name.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("oid.") => &name[4..],
        _ => name,
    };
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|arc| {
            // RFC 4512 §1.4: no leading zeros.
            let canonical = !arc.is_empty()
                && arc.bytes().all(|b| b.is_ascii_digit())
                && (arc == "0" || !arc.starts_with('0'));
            canonical.then(|| arc.parse::<u64>().ok()).flatten()
        })
        .collect::<Option<_>>()?;
    (arcs.len() >= 2).then_some(arcs)
}
