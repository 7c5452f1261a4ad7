//! Who is calling: the signed-in user a request, a job or the demo seed acts as, with their role.
//! What each role may do is `permissions`; how a caller is recognised is `auth`.

use crate::error::ApiError;

/// Zendesk's three roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    EndUser,
    Agent,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "end-user" => Some(Role::EndUser),
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The authenticated user making a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub id: i64,
    pub role: Role,
}

impl Caller {
    /// Agents and admins only.
    pub fn require_agent(&self) -> Result<(), ApiError> {
        if self.role >= Role::Agent {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn is_agent(&self) -> bool {
        self.role >= Role::Agent
    }
}
