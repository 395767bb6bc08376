/*
 * What the history screens share: pages of a collection walked by its links (a user's
 * history on the form, the recently deleted users), a change as the form shows it, and
 * restoring a deleted user (Undo on the list, Restore on "Recently deleted").
 */
(function (angular) {
  'use strict';

  var ACTIONS = { created: 'Created', changed: 'Changed', deleted: 'Deleted', restored: 'Restored' };

  /** A `changes` resource -> {id, action, at, actor, values: [{field, before, after}]}. */
  function changeEntry(resource) {
    var attributes = resource.attributes || {};
    var values = [];
    if (attributes.action === 'changed') {
      angular.forEach(attributes.changed || {}, function (value, field) {
        values.push({ field: field, before: value.before, after: value.after });
      });
    }
    return {
      id: resource.id,
      action: ACTIONS[attributes.action] || attributes.action,
      at: attributes.at,
      actor: attributes.actor || null,  // only editors and admins are told who
      values: values
    };
  }

  /**
   * Pages of a JSON:API collection, newest first, walked by its links: `older` follows
   * links.next, `newer` links.prev or, where the service gives none (the deleted users),
   * goes back to the page shown before. What is shown only changes when a request succeeds.
   */
  linkedPages.$inject = ['$http', 'jsonApi'];
  function linkedPages($http, jsonApi) {
    return function (toItem) {
      var pages = { items: [], links: {}, url: null, loading: false, error: '' };
      var before = [];  // the pages shown before this one, for going back
      var latest = 0;   // only the newest request may change what is shown

      /** Resolves true when `url`'s page is shown. */
      function load(url) {
        var ticket = ++latest;
        pages.loading = true;
        return $http.get(url, { headers: { Accept: jsonApi.MEDIA_TYPE } }).then(function (response) {
          if (ticket !== latest) { return false; }
          var document = response.data || {};
          pages.items = (document.data || []).map(toItem);
          pages.links = document.links || {};
          pages.url = url;
          pages.error = '';
          pages.loading = false;
          return true;
        }, function (response) {
          if (ticket !== latest) { return false; }
          pages.error = jsonApi.failureText(response);
          pages.loading = false;
          return false;
        });
      }

      /** The first page at `url`, `size` entries a page. */
      pages.open = function (url, size) {
        var first = new URL(url, window.location.href);
        first.searchParams.set('page[size]', String(size));
        before = [];
        return load(first.href);
      };
      pages.hasOlder = function () { return !!pages.links.next; };
      pages.hasNewer = function () { return !!pages.links.prev || before.length > 0; };
      pages.older = function () {
        var shown = pages.url;
        if (!pages.hasOlder()) { return; }
        load(pages.links.next).then(function (done) { if (done) { before.push(shown); } });
      };
      pages.newer = function () {
        if (!pages.hasNewer()) { return; }
        load(pages.links.prev || before[before.length - 1]).then(function (done) {
          if (done) { before.pop(); }
        });
      };
      /** The page again (after a change); an emptied page gives way to the one before it. */
      pages.reload = function () {
        if (!pages.url) { return; }  // the first page never came: nothing to show again
        return load(pages.url).then(function (done) {
          if (done && !pages.items.length && pages.hasNewer()) { pages.newer(); }
        });
      };
      return pages;
    };
  }

  /**
   * POSTs a restore and says in a toast how it went (a 409: the name is taken now, in the
   * service's words); resolves with whether the user is back.
   */
  restoreUser.$inject = ['$http', 'jsonApi', 'toaster'];
  function restoreUser($http, jsonApi, toaster) {
    return function (name, url) {
      return $http.post(url, undefined, { headers: { Accept: jsonApi.MEDIA_TYPE } }).then(function () {
        toaster.pop('success', 'User restored', name + ' is back.');
        return true;
      }, function (response) {
        if (response.status === 404) {
          toaster.pop('warning', 'Cannot be restored', name + ' was restored already or is gone for good.');
        } else {
          toaster.pop('error', 'Could not restore ' + name, jsonApi.failureText(response));
        }
        return false;
      });
    };
  }

  angular.module('usersApp.history', ['toaster', 'usersApp.jsonapi'])
    .constant('changeEntry', changeEntry)
    .factory('linkedPages', linkedPages)
    .factory('restoreUser', restoreUser);
})(window.angular);
