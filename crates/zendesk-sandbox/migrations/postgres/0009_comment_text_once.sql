-- A comment's text is kept once: in its comment. An audit's Comment event is stored without it
-- and served from its comment, read beside the audit by the audit's id.
--
-- ticket_comments  found by audit_id: the comment an audit added.

CREATE INDEX ticket_comments_audit ON ticket_comments (audit_id);
