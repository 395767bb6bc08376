/*
 * The sign-in page, and the first-run page that creates the administrator with the one-time
 * code `users-service serve` printed.
 */
(function (angular) {
  'use strict';

  function failureText(session, response, fallback) {
    if (response.status === 429) { return 'Too many failed sign-ins. ' + session.retryText(response); }
    var errors = response.data && response.data.errors;
    if (response.status === 401) { return 'The username or password is wrong.'; }
    if (angular.isArray(errors) && errors.length) {
      return errors.map(function (error) { return error.detail || error.title; }).join(' ');
    }
    return fallback;
  }

  SignInController.$inject = ['$state', '$stateParams', 'session'];
  function SignInController($state, $stateParams, session) {
    var vm = this;
    vm.setup = $state.current.name === 'setup';
    vm.code = $stateParams.code || '';
    vm.username = '';
    vm.password = '';
    vm.error = '';
    vm.busy = false;

    vm.submit = function () {
      vm.error = '';
      vm.busy = true;
      session.signIn(vm.username, vm.password, vm.setup ? vm.code : null).then(function () {
        $state.go(vm.setup ? 'accounts' : 'users.list');
      }, function (response) {
        vm.password = '';
        vm.error = failureText(session, response, 'Signing in failed; try again.');
      })['finally'](function () { vm.busy = false; });
    };
  }

  angular.module('usersApp.screens').controller('SignInController', SignInController);
})(window.angular);
