/*
 * The list screen: one page of users (page[number] paging, so it can say "page x of y"),
 * sorting by column, a debounced search, and delete with an in-page confirmation.
 * What is shown only changes when a request succeeds: a failure leaves the last good page.
 */
(function (angular) {
  'use strict';

  var PAGE_SIZE = 10;
  var SORTABLE = ['name', 'address', 'age', 'profession', 'website'];

  function parseSort(sort) {
    var descending = angular.isString(sort) && sort.charAt(0) === '-';
    var field = descending ? sort.slice(1) : sort;
    if (SORTABLE.indexOf(field) === -1) { return { field: 'name', descending: false }; }
    return { field: field, descending: descending };
  }

  UserListController.$inject = ['$state', 'User', 'jsonApi', 'toaster', 'session'];
  function UserListController($state, User, jsonApi, toaster, session) {
    var vm = this;
    vm.canEdit = session.canEdit;  // a viewer sees no New, Edit or Delete
    var latest = 0;  // only the newest request may change the screen

    vm.columns = [
      { field: 'name', label: 'Name' },
      { field: 'address', label: 'Address' },
      { field: 'age', label: 'Age' },
      { field: 'profession', label: 'Profession' },
      { field: 'website', label: 'Website' }
    ];
    vm.users = [];
    vm.total = 0;
    vm.pages = 0;
    vm.page = 1;
    vm.sort = parseSort($state.params.sort);
    vm.search = $state.params.q || '';
    vm.loading = false;
    vm.shown = null;  // the parameters of the page on screen
    vm.confirming = null;
    vm.deleting = false;

    vm.isLink = function (website) {
      return angular.isString(website) && /^https?:\/\/[^\s]/i.test(website);
    };

    vm.ariaSort = function (field) {
      if (vm.sort.field !== field) { return 'none'; }
      return vm.sort.descending ? 'descending' : 'ascending';
    };

    vm.sortBy = function (field) {
      var descending = vm.sort.field === field ? !vm.sort.descending : false;
      go({ page: 1, sort: (descending ? '-' : '') + field });
    };

    vm.searchChanged = function () { go({ page: 1, q: vm.search.trim() }); };
    vm.previous = function () { if (vm.page > 1) { go({ page: vm.page - 1 }); } };
    vm.next = function () { if (vm.page < vm.pages) { go({ page: vm.page + 1 }); } };

    vm.askDelete = function (user) { vm.confirming = user.id; };
    vm.cancelDelete = function () { vm.confirming = null; };
    vm.confirmDelete = function (user) {
      vm.deleting = true;
      User.delete({ id: user.id }).$promise.then(function () {
        toaster.pop('success', 'User deleted', user.name + ' was deleted.');
        vm.confirming = null;
        load(currentParams());
      }, function (response) {
        vm.confirming = null;
        if (response.status === 404) {
          toaster.pop('warning', 'Already gone', user.name + ' had already been deleted.');
          load(currentParams());
        } else {
          toaster.pop('error', 'Could not delete ' + user.name, jsonApi.describeFailure(response).messages.join(' '));
        }
      })['finally'](function () { vm.deleting = false; });
    };

    // ui-router calls this when only the dynamic parameters (page, sort, q) changed.
    vm.uiOnParamsChanged = function () {
      var params = currentParams();
      if (!angular.equals(params, vm.shown)) { load(params); }
    };

    function currentParams() {
      // $state.params, not the injected $stateParams: that one is the snapshot taken when the
      // controller was created, and dynamic parameters change without a new controller.
      var params = $state.params;
      return { page: params.page || 1, sort: params.sort || 'name', q: params.q || '' };
    }

    function go(change, options) {
      $state.go('.', angular.extend(currentParams(), change), options);
    }

    function load(params) {
      var ticket = ++latest;
      var sort = parseSort(params.sort);
      var query = {
        'page[number]': params.page,
        'page[size]': PAGE_SIZE,
        sort: (sort.descending ? '-' : '') + sort.field
      };
      if (params.q) { query['filter[search]'] = params.q; }
      vm.loading = true;
      User.page(query).$promise.then(function (result) {
        if (ticket !== latest) { return; }
        var pages = Math.max(1, Math.ceil((result.total || 0) / PAGE_SIZE));
        if (params.page > pages) {  // e.g. the last user of the last page was deleted
          go({ page: pages }, { location: 'replace' });
          return;
        }
        vm.users = result.users;
        vm.total = result.total || 0;
        vm.pages = pages;
        vm.page = params.page;
        vm.sort = sort;
        vm.shown = params;
        vm.loading = false;
      }, function (response) {
        if (ticket !== latest) { return; }
        vm.loading = false;
        var failure = jsonApi.describeFailure(response);
        var details = failure.messages;
        angular.forEach(failure.fields, function (messages) { details = details.concat(messages); });
        toaster.pop('error', 'Could not load the users', details.join(' '));
        // Put the controls (and the URL) back to what the table shows.
        if (vm.shown) {
          vm.search = vm.shown.q;
          $state.go('.', vm.shown, { location: 'replace' });
        }
      });
    }

    load(currentParams());
  }

  angular.module('usersApp.screens').controller('UserListController', UserListController);
})(window.angular);
