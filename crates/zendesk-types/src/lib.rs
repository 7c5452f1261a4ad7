//! Wire models of the Zendesk Support API: the records (tickets, users, organizations,
//! organization fields, groups, job statuses, search results), the list envelopes and the
//! error bodies, exactly as Zendesk sends them. Pure data: no I/O lives here.
