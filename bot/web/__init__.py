"""The coordinators' web page: server-rendered, signed in through OpenID Connect or a one-time link."""
