/*
 * The add / edit form. Hints mirror the service's rules as the user types, but never block:
 * the service decides, and its 422 / 409 errors are shown beside the fields they name.
 * Edit sends If-Match with the ETag it loaded; a 412 says someone else changed the user and
 * offers to load their version. Below the edit form, the user's history, paged.
 */
(function (angular) {
  'use strict';

  var LIMITS = { name: 250, address: 2000, profession: 250, website: 250 };
  var HISTORY_PAGE_SIZE = 10;

  function textHint(label, value, maximum) {
    var text = angular.isString(value) ? value.trim() : '';
    if (!text) { return label + ' is required.'; }
    if (text.length > maximum) { return label + ' must be at most ' + maximum + ' characters (now ' + text.length + ').'; }
    return '';
  }

  var HINTS = {
    name: function (value) { return textHint('Name', value, LIMITS.name); },
    address: function (value) { return textHint('Address', value, LIMITS.address); },
    profession: function (value) { return textHint('Profession', value, LIMITS.profession); },
    age: function (value) {
      if (value === null || value === undefined || value === '') { return 'Age is required, a whole number from 0 to 150.'; }
      if (!angular.isNumber(value) || value % 1 !== 0 || value < 0 || value > 150) {
        return 'Age must be a whole number from 0 to 150.';
      }
      return '';
    },
    website: function (value) {
      var hint = textHint('Website', value, LIMITS.website);
      if (hint) { return hint; }
      if (!/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(value.trim())) { return 'Website must be an http:// or https:// address.'; }
      return '';
    }
  };

  UserFormController.$inject = ['$state', '$stateParams', 'User', 'jsonApi', 'toaster', 'linkedPages', 'changeEntry', 'focus'];
  function UserFormController($state, $stateParams, User, jsonApi, toaster, linkedPages, changeEntry, focus) {
    var vm = this;

    vm.editing = $state.current.name === 'users.edit';
    vm.id = vm.editing ? $stateParams.id : null;
    vm.user = { name: '', address: '', age: null, profession: '', website: '' };
    vm.errors = {};        // field -> the service's messages for it
    vm.messages = [];      // the service's messages that name no field
    vm.touched = {};       // fields the user has changed: their hints show
    vm.loading = vm.editing;
    vm.saving = false;
    vm.stale = false;      // a 412: someone else changed the user
    vm.etag = null;
    vm.ready = !vm.editing;  // an edit form shows only once the user has loaded
    vm.loadError = null;
    vm.history = linkedPages(changeEntry);  // the user's changes, newest first (edit only)

    vm.hint = function (field) {
      if (vm.errors[field] || !(vm.touched[field] || vm.submitted)) { return ''; }
      return HINTS[field](vm.user[field]);
    };

    vm.changed = function (field) {
      vm.touched[field] = true;
      delete vm.errors[field];  // the service's message was about the old value
    };

    vm.reload = function () {
      var again = vm.stale || !!vm.loadError;  // pressed in a notice: focus goes to the form
      vm.loading = true;
      vm.loadError = null;
      User.get({ id: vm.id }).$promise.then(function (user) {
        vm.user = pick(user);
        vm.etag = user.$etag;
        vm.errors = {};
        vm.messages = [];
        vm.touched = {};
        vm.submitted = false;
        vm.stale = false;
        vm.loading = false;
        vm.ready = true;
        vm.history.open(user.$history, HISTORY_PAGE_SIZE);
        if (again) { focus.to('#user-name'); }
      }, function (response) {
        vm.loading = false;
        if (response.status === 404) {
          toaster.pop('warning', 'User not found', 'This user does not exist (any more).');
          $state.go('users.list');
        } else {
          vm.loadError = jsonApi.describeFailure(response).messages.join(' ');
          toaster.pop('error', 'Could not load the user', vm.loadError);
        }
      });
    };

    vm.save = function () {
      if (vm.saving || vm.loading || !vm.ready) { return; }
      vm.submitted = true;
      vm.saving = true;
      var payload = pick(vm.user);
      var request;
      if (vm.editing) {
        payload.id = vm.id;
        payload.$etag = vm.etag;
        request = User.update({ id: vm.id }, payload).$promise;
      } else {
        request = User.save(payload).$promise;
      }
      request.then(function (saved) {
        toaster.pop('success', vm.editing ? 'User saved' : 'User created', saved.name);
        $state.go('users.list');
      }, function (response) {
        var failure = jsonApi.describeFailure(response);
        vm.errors = failure.fields;
        vm.messages = failure.messages;
        // Focus goes to what needs doing: the first marked field, or the stale notice's button.
        focus.to(response.status === 412 ? '.notice-stale button' : '[aria-invalid="true"]');
        if (response.status === 412) {
          vm.stale = true;
          vm.messages = [];
          vm.history.reload();  // shows what the other person changed
          toaster.pop('warning', 'Changed meanwhile', 'Someone else changed this user. Reload to see their version.');
        } else if (response.status === 404 && vm.editing) {
          toaster.pop('warning', 'User not found', 'This user was deleted meanwhile.');
          $state.go('users.list');
        } else if (response.status === 422 || response.status === 409) {
          toaster.pop('error', 'Not saved', 'Please correct the marked fields.');
        } else {
          toaster.pop('error', 'Not saved', failure.messages.join(' '));
        }
      })['finally'](function () { vm.saving = false; });
    };

    function pick(user) {
      var values = {};
      jsonApi.ATTRIBUTES.forEach(function (field) {
        values[field] = user[field] === undefined ? null : user[field];
      });
      return values;
    }

    if (vm.editing) { vm.reload(); }
  }

  angular.module('usersApp.screens').controller('UserFormController', UserFormController);
})(window.angular);
