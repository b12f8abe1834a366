//! The emulated file system (ISO 7816-4 §7): MF, DFs with FID and AID, transparent EFs with SFI.
//!
//! Nodes live in an arena; an index is a node id. FCPs are built IAS-style
//! (`62 … 80 size 82 descriptor 83 FID [84 AID] [88 SFI] 8A LCS`, CARDS.md §2.3, §5.2).

use apdu::tlv::{Tag, encode, encode_constructed};

/// Who may read an EF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    Always,
    /// After a successful VERIFY of the cardholder PIN.
    Pin,
}

/// What a node is.
#[derive(Debug, Clone)]
pub enum NodeKind {
    Df {
        children: Vec<NodeId>,
        aid: Option<Vec<u8>>,
    },
    Ef {
        data: Vec<u8>,
        sfi: Option<u8>,
        read: ReadAccess,
    },
}

/// A node of the tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub fid: u16,
    pub parent: Option<NodeId>,
    pub kind: NodeKind,
}

/// Index of a node in the [`FileSystem`] arena.
pub type NodeId = usize;

/// The whole tree; node 0 is the MF (`3F00`).
#[derive(Debug, Clone)]
pub struct FileSystem {
    nodes: Vec<Node>,
}

pub const MF: NodeId = 0;
pub const MF_FID: u16 = 0x3F00;

impl Default for FileSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl FileSystem {
    pub fn new() -> Self {
        Self {
            nodes: vec![Node {
                fid: MF_FID,
                parent: None,
                kind: NodeKind::Df {
                    children: Vec::new(),
                    aid: None,
                },
            }],
        }
    }

    fn push(&mut self, parent: NodeId, node: Node) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(node);
        if let Some(Node {
            kind: NodeKind::Df { children, .. },
            ..
        }) = self.nodes.get_mut(parent)
        {
            children.push(id);
        }
        id
    }

    /// Adds a DF under `parent`.
    pub fn add_df(&mut self, parent: NodeId, fid: u16, aid: Option<&[u8]>) -> NodeId {
        let kind = NodeKind::Df {
            children: Vec::new(),
            aid: aid.map(<[u8]>::to_vec),
        };
        self.push(
            parent,
            Node {
                fid,
                parent: Some(parent),
                kind,
            },
        )
    }

    /// Adds a transparent EF under `parent`.
    pub fn add_ef(
        &mut self,
        parent: NodeId,
        fid: u16,
        sfi: Option<u8>,
        read: ReadAccess,
        data: Vec<u8>,
    ) -> NodeId {
        self.push(
            parent,
            Node {
                fid,
                parent: Some(parent),
                kind: NodeKind::Ef { data, sfi, read },
            },
        )
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn is_df(&self, id: NodeId) -> bool {
        matches!(
            self.node(id),
            Some(Node {
                kind: NodeKind::Df { .. },
                ..
            })
        )
    }

    fn children(&self, df: NodeId) -> &[NodeId] {
        match self.node(df) {
            Some(Node {
                kind: NodeKind::Df { children, .. },
                ..
            }) => children,
            _ => &[],
        }
    }

    /// The child of `df` with `fid`.
    pub fn child(&self, df: NodeId, fid: u16) -> Option<NodeId> {
        self.children(df)
            .iter()
            .copied()
            .find(|c| self.nodes.get(*c).is_some_and(|n| n.fid == fid))
    }

    /// The EF of `df` with short identifier `sfi`.
    pub fn child_by_sfi(&self, df: NodeId, sfi: u8) -> Option<NodeId> {
        self.children(df).iter().copied().find(|c| {
            matches!(self.nodes.get(*c), Some(Node { kind: NodeKind::Ef { sfi: Some(s), .. }, .. }) if *s == sfi)
        })
    }

    /// The DF whose AID is `aid` (exact match), anywhere in the tree.
    pub fn df_by_aid(&self, aid: &[u8]) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| matches!(&n.kind, NodeKind::Df { aid: Some(a), .. } if a == aid))
    }

    /// SELECT by FID from `current` (ISO 7816-4 §7.1.1, P1=00): the MF, a child, the parent, or a sibling.
    pub fn select_fid(&self, current: NodeId, fid: u16) -> Option<NodeId> {
        if fid == MF_FID {
            return Some(MF);
        }
        let df = if self.is_df(current) {
            current
        } else {
            self.node(current)?.parent?
        };
        if let Some(c) = self.child(df, fid) {
            return Some(c);
        }
        let parent = self.node(df)?.parent?;
        if self.node(parent)?.fid == fid {
            return Some(parent);
        }
        self.child(parent, fid)
    }

    /// Follows FIDs from `start`.
    pub fn walk(&self, start: NodeId, fids: &[u16]) -> Option<NodeId> {
        let mut cur = start;
        for fid in fids {
            if !self.is_df(cur) {
                return None;
            }
            cur = self.child(cur, *fid)?;
        }
        Some(cur)
    }

    /// The IAS-style FCP template (tag `62`).
    pub fn fcp(&self, id: NodeId) -> Vec<u8> {
        let Some(n) = self.node(id) else {
            return Vec::new();
        };
        let mut parts = Vec::new();
        match &n.kind {
            NodeKind::Ef { data, sfi, .. } => {
                parts.push(encode(Tag(0x80), &(data.len() as u16).to_be_bytes()));
                parts.push(encode(Tag(0x82), &[0x01])); // transparent working EF
                parts.push(encode(Tag(0x83), &n.fid.to_be_bytes()));
                if let Some(s) = sfi {
                    parts.push(encode(Tag(0x88), &[s << 3]));
                }
            }
            NodeKind::Df { aid, .. } => {
                parts.push(encode(Tag(0x82), &[0x38])); // DF
                parts.push(encode(Tag(0x83), &n.fid.to_be_bytes()));
                if let Some(a) = aid {
                    parts.push(encode(Tag(0x84), a));
                }
            }
        }
        parts.push(encode(Tag(0x8A), &[0x05])); // life cycle: operational, activated
        encode_constructed(Tag(0x62), &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_rules() {
        let mut fs = FileSystem::new();
        let dir = fs.add_ef(MF, 0x2F00, Some(30), ReadAccess::Always, vec![1]);
        let app = fs.add_df(MF, 0x5015, Some(&[0xE8, 0x28]));
        let odf = fs.add_ef(app, 0x5031, None, ReadAccess::Always, vec![]);
        assert_eq!(fs.select_fid(MF, 0x2F00), Some(dir));
        assert_eq!(fs.select_fid(odf, 0x3F00), Some(MF));
        assert_eq!(fs.select_fid(app, 0x5031), Some(odf));
        assert_eq!(fs.select_fid(odf, 0x5015), Some(app), "parent by FID");
        assert_eq!(
            fs.select_fid(app, 0x2F00),
            Some(dir),
            "sibling of the current DF"
        );
        assert_eq!(fs.df_by_aid(&[0xE8, 0x28]), Some(app));
        assert_eq!(fs.child_by_sfi(MF, 30), Some(dir));
        assert_eq!(fs.walk(MF, &[0x5015, 0x5031]), Some(odf));
        assert_eq!(
            fs.fcp(dir),
            [
                0x62, 0x11, 0x80, 2, 0, 1, 0x82, 1, 1, 0x83, 2, 0x2F, 0, 0x88, 1, 0xF0, 0x8A, 1, 5
            ]
        );
    }
}
