"""The AngularJS single-page client, shipped as package data and served by the app."""
