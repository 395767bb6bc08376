/*
 * The list screen: one page of users paged by cursor (the links' page[after] / page[before]),
 * so the first and the last of a million users cost the same; First, Previous, Next, Last;
 * "1-10 of 1,000,000". Sorting by column, a debounced search, and delete with an in-page
 * confirmation, then Undo for a few seconds. What is shown only changes when a request
 * succeeds: a failure leaves the last good page.
 */
(function (angular) {
  'use strict';

  var PAGE_SIZE = 10;
  var UNDO_MS = 8000;  // how long Undo is offered after a delete
  var SORTABLE = ['name', 'address', 'age', 'profession', 'website'];

  function parseSort(sort) {
    var descending = angular.isString(sort) && sort.charAt(0) === '-';
    var field = descending ? sort.slice(1) : sort;
    if (SORTABLE.indexOf(field) === -1) { return { field: 'name', descending: false }; }
    return { field: field, descending: descending };
  }

  /** The cursor a pagination link carries in `parameter` (page[after] or page[before]). */
  function cursorOf(link, parameter) {
    if (!angular.isString(link)) { return ''; }
    return new URL(link, window.location.href).searchParams.get(parameter) || '';
  }

  var FIRST_PAGE = { after: '', before: '', at: 0 };
  var UNKNOWN = -1;  // `at` when the page's place is not known (the last of "more than 1,000")

  /** The selector of a control in the row of user `id` (focus.to). */
  function inRow(id, selector) { return 'tr[data-user-id="' + Number(id) + '"] ' + selector; }

  UserListController.$inject = ['$filter', '$state', '$timeout', 'User', 'jsonApi', 'toaster', 'session', 'restoreUser', 'focus', 'announcer'];
  function UserListController($filter, $state, $timeout, User, jsonApi, toaster, session, restoreUser, focus, announcer) {
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
    vm.totalExact = true;
    vm.at = 0;  // how many users come before the first one shown; null when unknown
    vm.links = {};
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

    /** "Name, ascending": the table's caption, and what a screen reader hears on sorting. */
    vm.sortText = function (sort) {
      sort = sort || vm.sort;
      var label = vm.columns.filter(function (column) { return column.field === sort.field; })[0].label;
      return label + (sort.descending ? ', descending' : ', ascending');
    };

    vm.sortBy = function (field) {
      var descending = vm.sort.field === field ? !vm.sort.descending : false;
      announcer.say('Sorted by ' + vm.sortText({ field: field, descending: descending }));
      go(angular.extend({}, FIRST_PAGE, { sort: (descending ? '-' : '') + field }));
    };

    vm.searchChanged = function () { go(angular.extend({}, FIRST_PAGE, { q: vm.search.trim() })); };
    vm.first = function () { if (vm.links.prev) { go(FIRST_PAGE); } };
    vm.previous = function () {
      if (!vm.links.prev) { return; }
      var at = vm.at === null ? UNKNOWN : Math.max(0, vm.at - PAGE_SIZE);
      go({ after: '', before: cursorOf(vm.links.prev, 'page[before]'), at: at });
    };
    vm.next = function () {
      if (!vm.links.next) { return; }
      var at = vm.at === null ? UNKNOWN : vm.at + vm.users.length;
      go({ after: cursorOf(vm.links.next, 'page[after]'), before: '', at: at });
    };
    vm.last = function () {
      if (vm.links.last && vm.links.next) {
        go({ after: '', before: cursorOf(vm.links.last, 'page[before]'), at: UNKNOWN });
      }
    };

    /** "1-10 of 1,000,000 users", "1-10 of more than 1,000 users". */
    vm.status = function () {
      var count = $filter('number')(vm.total);
      var of = vm.totalExact ? count + (vm.total === 1 ? ' user' : ' users')
        : 'more than ' + count + ' users';
      if (vm.at === null) { return of; }  // a page counted from the end of an uncounted list
      var number = $filter('number');
      return number(vm.at + 1) + '-' + number(vm.at + vm.users.length) + ' of ' + of;
    };

    // The confirmation takes the focus (on Cancel, the safe answer); Cancel or Escape give it
    // back to the row's Delete button, a deletion to the screen's heading.
    vm.askDelete = function (user) { vm.confirming = user.id; focus.to(inRow(user.id, '.cancel')); };
    vm.cancelDelete = function (user) {
      vm.confirming = null;
      if (user) { focus.to(inRow(user.id, '.delete')); }
    };
    vm.confirmDelete = function (user) {
      vm.deleting = true;
      User.delete({ id: user.id }).$promise.then(function () {
        vm.confirming = null;
        offerUndo(user);  // focus moves to its Undo button
        load(currentParams());
      }, function (response) {
        vm.confirming = null;
        focus.to(response.status === 404 ? 'main h1' : inRow(user.id, '.delete'));
        if (response.status === 404) {
          toaster.pop('warning', 'Already gone', user.name + ' had already been deleted.');
          load(currentParams());
        } else {
          toaster.pop('error', 'Could not delete ' + user.name, jsonApi.describeFailure(response).messages.join(' '));
        }
      })['finally'](function () { vm.deleting = false; });
    };

    // After a delete, "X was deleted. [Undo]" for a few seconds, kept while the pointer is
    // over it or the Undo button has focus (it takes the focus the deleted row's buttons had).
    vm.undo = null;  // the user just deleted
    vm.restoring = false;
    var undoTimer = null;
    function offerUndo(user) {
      vm.undo = user;
      vm.releaseUndo();
      focus.to('#undo-delete');
    }
    vm.holdUndo = function () { $timeout.cancel(undoTimer); };
    vm.releaseUndo = function () {
      $timeout.cancel(undoTimer);
      undoTimer = $timeout(function () { if (!vm.restoring) { vm.undo = null; } }, UNDO_MS);
    };
    vm.undoDelete = function () {
      var user = vm.undo;
      vm.restoring = true;
      restoreUser(user.name, 'api/v1/users/' + user.id + '/restore').then(function () {
        vm.undo = null;
        vm.restoring = false;
        load(currentParams());
      });
    };

    // ui-router calls this when only the dynamic parameters (sort, q, the cursor) changed.
    vm.uiOnParamsChanged = function () {
      var params = currentParams();
      if (!angular.equals(params, vm.shown)) { load(params); }
    };

    function currentParams() {
      // $state.params, not the injected $stateParams: that one is the snapshot taken when the
      // controller was created, and dynamic parameters change without a new controller.
      var params = $state.params;
      return {
        sort: params.sort || 'name',
        q: params.q || '',
        after: params.after || '',
        before: params.before || '',
        at: angular.isNumber(params.at) ? params.at : 0
      };
    }

    function go(change, options) {
      $state.go('.', angular.extend(currentParams(), change), options);
    }

    function load(params) {
      var ticket = ++latest;
      var sort = parseSort(params.sort);
      var query = { 'page[size]': PAGE_SIZE, sort: (sort.descending ? '-' : '') + sort.field };
      if (params.q) { query['filter[search]'] = params.q; }
      if (params.after) { query['page[after]'] = params.after; }
      if (params.before) { query['page[before]'] = params.before; }
      vm.loading = true;
      User.page(query).$promise.then(function (result) {
        if (ticket !== latest) { return; }
        if (!result.users.length && (params.after || params.before)) {
          // e.g. the last user of the last page was deleted: start again from the first page
          go(FIRST_PAGE, { location: 'replace' });
          return;
        }
        var exact = result.total !== null;
        var at = params.at >= 0 ? params.at : null;
        if (!result.links.prev) {
          at = 0;
        } else if (!result.links.next && exact) {
          at = result.total - result.users.length;
        }
        vm.users = result.users;
        vm.total = exact ? result.total : (result.totalAtLeast || 0);
        vm.totalExact = exact;
        vm.at = at;
        vm.links = result.links;
        vm.sort = sort;
        var searched = vm.shown && vm.shown.q !== params.q;
        vm.shown = params;
        vm.loading = false;
        if (searched) {  // what a search found, said to screen readers
          var what = params.q ? '“' + params.q + '”' : 'everyone';
          announcer.say(vm.users.length ? 'Found for ' + what + ': ' + vm.status() : 'Nothing found for ' + what + '.');
        }
      }, function (response) {
        if (ticket !== latest) { return; }
        vm.loading = false;
        toaster.pop('error', 'Could not load the users', jsonApi.failureText(response));
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
