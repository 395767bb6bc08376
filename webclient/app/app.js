/*
 * The users client: states, and the settings AngularJS needs under a strict
 * Content-Security-Policy (ng-csp on <html>, no inline scripts or styles, no eval).
 */
(function (angular) {
  'use strict';

  // The screens' controllers register on this module (list.js, form.js).
  angular.module('usersApp.screens', ['ui.router', 'toaster', 'usersApp.resource']);

  angular.module('usersApp', ['ngAnimate', 'ui.router', 'toaster', 'usersApp.resource', 'usersApp.screens'])
    .config(['$compileProvider', '$locationProvider', function ($compileProvider, $locationProvider) {
      $compileProvider.debugInfoEnabled(false);
      $compileProvider.commentDirectivesEnabled(false);
      $locationProvider.hashPrefix('!');
    }])
    .config(['$stateProvider', '$urlRouterProvider', function ($stateProvider, $urlRouterProvider) {
      $stateProvider
        .state('users', { abstract: true, url: '', template: '<ui-view></ui-view>' })
        .state('users.list', {
          // page, sort and search live in the URL, so reload and "back" keep the place.
          url: '/list?{page:int}&{sort:string}&{q:string}',
          params: {
            page: { value: 1, squash: true, dynamic: true },
            sort: { value: 'name', squash: true, dynamic: true },
            q: { value: '', squash: true, dynamic: true }
          },
          templateUrl: 'assets/app/list.html',
          controller: 'UserListController',
          controllerAs: 'vm'
        })
        .state('users.add', {
          url: '/add',
          templateUrl: 'assets/app/form.html',
          controller: 'UserFormController',
          controllerAs: 'vm'
        })
        .state('users.edit', {
          url: '/{id:int}/edit',
          templateUrl: 'assets/app/form.html',
          controller: 'UserFormController',
          controllerAs: 'vm'
        });
      $urlRouterProvider.otherwise('/list');
    }]);
})(window.angular);
