/*
 * Admin pages: accounts (list, create with a role, change role, reset password, disable and
 * enable) and API tokens (create: the secret shown once with a copy button; list; revoke).
 */
(function (angular) {
  'use strict';

  var MEDIA_TYPE = 'application/vnd.api+json';
  var SEND = { Accept: MEDIA_TYPE, 'Content-Type': MEDIA_TYPE };
  var ROLES = ['viewer', 'editor', 'admin'];

  function messages(response) {
    var errors = response && response.data && response.data.errors;
    if (angular.isArray(errors) && errors.length) {
      return errors.map(function (error) { return error.detail || error.title; }).join(' ');
    }
    return 'The request failed (HTTP ' + (response ? response.status : '?') + ').';
  }

  function resources(response) {
    return (response.data.data || []).map(function (resource) {
      return angular.extend({ id: resource.id }, resource.attributes);
    });
  }

  /** The selector of a control in the row of account `id` (focus.to). */
  function inRow(id, selector) {
    return 'tr[data-account-id="' + window.CSS.escape(String(id)) + '"] ' + selector;
  }

  AccountsController.$inject = ['$http', 'toaster', 'focus'];
  function AccountsController($http, toaster, focus) {
    var vm = this;
    vm.roles = ROLES;
    vm.accounts = [];
    vm.fresh = { name: '', role: 'viewer', password: '' };
    vm.error = '';
    vm.resetting = null;
    vm.newPassword = '';

    function load() {
      return $http.get('api/v1/accounts', { headers: { Accept: MEDIA_TYPE } }).then(function (response) {
        vm.accounts = resources(response);
      });
    }

    function change(account, attributes, done) {
      var document = { data: { type: 'accounts', id: account.id, attributes: attributes } };
      return $http.patch('api/v1/accounts/' + account.id, document, { headers: SEND }).then(function () {
        toaster.pop('success', 'Account changed', done);
        return load();
      }, function (response) {
        toaster.pop('error', 'Could not change ' + account.name, messages(response));
        return load();
      });
    }

    vm.create = function () {
      vm.error = '';
      var document = { data: { type: 'accounts', attributes: vm.fresh } };
      $http.post('api/v1/accounts', document, { headers: SEND }).then(function () {
        toaster.pop('success', 'Account created', vm.fresh.name + ' may now sign in.');
        vm.fresh = { name: '', role: 'viewer', password: '' };
        return load();
      }, function (response) { vm.error = messages(response); });
    };
    vm.setRole = function (account) {
      change(account, { role: account.role }, account.name + ' is now ' + account.role + '.');
    };
    vm.setEnabled = function (account, enabled) {
      change(account, { enabled: enabled }, account.name + (enabled ? ' is enabled.' : ' is disabled.'));
    };
    // The password field takes the focus; Cancel, Escape or a reset give it back to the button.
    vm.askReset = function (account) {
      vm.resetting = account.id;
      vm.newPassword = '';
      focus.to(inRow(account.id, 'input[type="password"]'));
    };
    vm.cancelReset = function (account) {
      vm.resetting = null;
      focus.to(inRow(account.id, '.reset'));
    };
    vm.reset = function (account) {
      change(account, { password: vm.newPassword }, 'The password of ' + account.name + ' was reset.')
        .then(function () { vm.cancelReset(account); vm.newPassword = ''; });
    };
    load();
  }

  TokensController.$inject = ['$http', 'toaster', 'session', 'focus'];
  function TokensController($http, toaster, session, focus) {
    var vm = this;
    vm.roles = ROLES.filter(function (role) { return session.hasRole(role); });
    vm.tokens = [];
    vm.fresh = { label: '', role: session.current ? session.current.role : 'viewer' };
    vm.secret = null;
    vm.copied = false;
    vm.error = '';

    function load() {
      return $http.get('api/v1/tokens', { headers: { Accept: MEDIA_TYPE } }).then(function (response) {
        vm.tokens = resources(response);
      });
    }

    vm.create = function () {
      vm.error = '';
      var document = { data: { type: 'tokens', attributes: { label: vm.fresh.label, role: vm.fresh.role } } };
      $http.post('api/v1/tokens', document, { headers: SEND }).then(function (response) {
        vm.secret = response.data.data.attributes.secret;
        vm.copied = false;
        vm.fresh.label = '';
        focus.to('.notice-secret button');  // Copy, in the notice that shows the secret
        return load();
      }, function (response) { vm.error = messages(response); });
    };
    vm.copy = function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(vm.secret).then(function () { vm.copied = true; }, angular.noop);
      }
    };
    vm.dismiss = function () { vm.secret = null; focus.to('#token-label'); };
    vm.revoke = function (token) {
      $http({ method: 'DELETE', url: 'api/v1/tokens/' + token.id, headers: { Accept: MEDIA_TYPE } })
        .then(function () {
          toaster.pop('success', 'Token revoked', token.label + ' no longer works.');
          focus.to('main h1');
          return load();
        }, function (response) { toaster.pop('error', 'Could not revoke ' + token.label, messages(response)); });
    };
    load();
  }

  angular.module('usersApp.screens')
    .controller('AccountsController', AccountsController)
    .controller('TokensController', TokensController);
})(window.angular);
