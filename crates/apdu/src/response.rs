//! Response APDUs: data followed by the status word.

use crate::{ApduError, StatusWord};

/// A response APDU split into its data and [`StatusWord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        Self {
            data: data.into(),
            sw,
        }
    }

    /// Splits raw bytes; fails when fewer than the two status bytes arrived.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(Self::new(data, StatusWord::new(*sw1, *sw2))),
            _ => Err(ApduError::MalformedResponse { len: bytes.len() }),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }

    /// The data if the status is `90 00`, else an error naming the command and the status.
    pub fn into_ok(self, what: &'static str) -> Result<Vec<u8>, ApduError> {
        if self.sw.is_ok() {
            Ok(self.data)
        } else {
            Err(ApduError::Status { what, sw: self.sw })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_data_and_status() {
        let r = Response::parse(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!(r.data, [1, 2]);
        assert!(r.sw.is_ok());
        assert_eq!(r.to_bytes(), [1, 2, 0x90, 0]);
        assert!(Response::parse(&[0x90]).is_err());
        let err = Response::new([], StatusWord::FILE_NOT_FOUND)
            .into_ok("SELECT EF.DIR")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "SELECT EF.DIR failed: card answered 6A 82 (file or application not found)"
        );
    }
}
