/*
 * The one User resource. Every action speaks application/vnd.api+json; the transforms map
 * JSON:API documents to plain users and back. `get` and `update` keep the response's ETag on
 * the user as `$etag`, and `update` sends it back as If-Match.
 */
(function (angular) {
  'use strict';

  angular.module('usersApp.resource', ['ngResource', 'usersApp.jsonapi'])
    .factory('User', ['$resource', 'jsonApi', function ($resource, jsonApi) {
      var accept = { Accept: jsonApi.MEDIA_TYPE };
      var send = { Accept: jsonApi.MEDIA_TYPE, 'Content-Type': jsonApi.MEDIA_TYPE };

      function keepEtag(response) {
        var user = response.resource;
        user.$etag = response.headers('ETag');
        return user;
      }

      function ifMatch(config) {
        return config.data && config.data.$etag ? config.data.$etag : undefined;
      }

      return $resource('api/v1/users/:id', { id: '@id' }, {
        // The list: {users, total, links}; parameters are JSON:API query parameters.
        page: {
          method: 'GET', url: 'api/v1/users', isArray: false, headers: accept,
          transformResponse: jsonApi.fromCollection
        },
        get: {
          method: 'GET', headers: accept, transformResponse: jsonApi.fromDocument,
          interceptor: { response: keepEtag }
        },
        save: {
          method: 'POST', url: 'api/v1/users', headers: send,
          transformRequest: function (user) { return jsonApi.toDocument(user, false); },
          transformResponse: jsonApi.fromDocument,
          interceptor: { response: keepEtag }
        },
        update: {
          method: 'PATCH', headers: angular.extend({ 'If-Match': ifMatch }, send),
          transformRequest: function (user) { return jsonApi.toDocument(user, true); },
          transformResponse: jsonApi.fromDocument,
          interceptor: { response: keepEtag }
        },
        delete: {
          method: 'DELETE', headers: angular.extend({ 'If-Match': ifMatch }, accept),
          transformResponse: jsonApi.fromDocument
        }
      });
    }]);
})(window.angular);
