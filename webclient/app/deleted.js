/*
 * "Recently deleted" (editors and admins): the deleted users that can still be restored, the
 * latest deleted first, each with a Restore button; a restored user leaves the list.
 */
(function (angular) {
  'use strict';

  var PAGE_SIZE = 20;

  /** A `deleted-users` resource -> {id, name, deleted_at, restorable_until, restore (URL)}. */
  function deletedUser(resource) {
    var attributes = resource.attributes || {};
    return {
      id: resource.id,
      name: attributes.name,
      deleted_at: attributes.deleted_at,
      restorable_until: attributes.restorable_until,
      restore: (resource.meta || {}).restore
    };
  }

  DeletedUsersController.$inject = ['linkedPages', 'restoreUser'];
  function DeletedUsersController(linkedPages, restoreUser) {
    var vm = this;
    vm.pages = linkedPages(deletedUser);
    vm.restoring = null;  // the id of the user being restored

    vm.restore = function (user) {
      vm.restoring = user.id;
      restoreUser(user.name, user.restore).then(function () {
        vm.restoring = null;
        return vm.pages.reload();  // restored: gone from the list; refused: still there
      });
    };

    vm.pages.open('api/v1/deleted-users', PAGE_SIZE);
  }

  angular.module('usersApp.screens').controller('DeletedUsersController', DeletedUsersController);
})(window.angular);
